import { useId, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation, useQuery } from 'urql';
import {
  CreateContentDocument,
  SubmitContentDocument,
  ValidateContentDocument,
  type ContentInput,
  type ContentKind,
  type ViewerQuery,
} from '../generated';
import { useDebounced } from '../format';
import { navigate } from '../router';
import { StatusBadge } from './StatusBadge';

const KINDS: ContentKind[] = [
  'ACHIEVEMENT',
  'SUCCESS_STORY',
  'SCHEME',
  'EVENT',
  'ORDER',
  'MINISTER_MESSAGE',
  'ADVERTISEMENT',
];

/** X's limit on a post's weighted length (twitter-text: Devanagari 1 per code point, a URL 23). */
const X_LIMIT = 280;

function newKey() {
  return `console-${crypto.randomUUID()}`;
}

export function Compose({ viewer }: { viewer: ViewerQuery['viewer'] }) {
  const { t } = useTranslation();
  const ids = { kind: useId(), title: useId(), hi: useId(), en: useId(), findings: useId() };
  const department = viewer.department;
  const accounts = useMemo(
    () => (department?.accounts ?? []).filter((a) => a.status === 'ACTIVE'),
    [department],
  );
  const [kind, setKind] = useState<ContentKind>('ACHIEVEMENT');
  const [title, setTitle] = useState('');
  const [bodyHi, setBodyHi] = useState('');
  const [bodyEn, setBodyEn] = useState('');
  const [targets, setTargets] = useState<string[]>(() => accounts.map((a) => a.id));
  const [idempotencyKey, setIdempotencyKey] = useState(newKey);
  const [submitted, setSubmitted] = useState<{
    title: string;
    status: Parameters<typeof StatusBadge>[0]['status'];
  }>();
  const [problem, setProblem] = useState<string>();
  const [, createContent] = useMutation(CreateContentDocument);
  const [, submitContent] = useMutation(SubmitContentDocument);
  const [busy, setBusy] = useState(false);

  const input: ContentInput = {
    kind,
    title: title.trim(),
    body: [
      { language: 'HI', text: bodyHi },
      ...(bodyEn.trim() ? [{ language: 'EN' as const, text: bodyEn }] : []),
    ],
    targetAccountIds: targets,
  };
  // Checked as they type (after a short pause), by the same rules the platform applies on submit.
  // (Compared as text: a new object every render would restart the pause forever.)
  const settledText = useDebounced(JSON.stringify(input), 350);
  const settled = useMemo(() => JSON.parse(settledText) as ContentInput, [settledText]);
  const [validation] = useQuery({
    query: ValidateContentDocument,
    variables: { departmentId: department?.id ?? '', input: settled },
    pause: !department || (!settled.title && !bodyHi.trim()),
    requestPolicy: 'network-only',
  });
  const variants = validation.data?.validateContent ?? [];
  const findings = variants.flatMap((v) =>
    v.violations.map((violation) => ({ ...violation, platform: v.platform, handle: v.account.handle })),
  );
  const findingsFor = (field: string) => findings.filter((f) => f.field.split('.')[0] === field);

  if (!department)
    return (
      <div role="alert" className="notice">
        <h1>{t('access.deniedTitle')}</h1>
        <p>{t('compose.noDepartment')}</p>
      </div>
    );

  const onSubmit = async (e: React.FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    if (!input.title || !bodyHi.trim()) {
      setProblem(t('compose.required'));
      return;
    }
    setBusy(true);
    try {
      const created = await createContent({ departmentId: department.id, input, idempotencyKey });
      if (created.error || !created.data) {
        setProblem(t('compose.failed', { reason: created.error?.graphQLErrors[0]?.message ?? '' }));
        return;
      }
      const sent = await submitContent({ id: created.data.createContent.id });
      if (sent.error || !sent.data) {
        setProblem(t('compose.failed', { reason: sent.error?.graphQLErrors[0]?.message ?? '' }));
        return;
      }
      setSubmitted({ title: created.data.createContent.title, status: sent.data.submitContent.status });
      setTitle('');
      setBodyHi('');
      setBodyEn('');
      setIdempotencyKey(newKey());
    } finally {
      setBusy(false);
    }
  };

  const fieldFindings = (field: string) => {
    const list = findingsFor(field);
    if (!list.length) return null;
    return (
      <ul className="field-findings" id={`${ids.findings}-${field}`}>
        {list.map((f, i) => (
          <li key={i}>
            <span aria-hidden="true">⚠ </span>
            {t(`platform.${f.platform}`)}: {f.message}
          </li>
        ))}
      </ul>
    );
  };
  const describedBy = (field: string) => (findingsFor(field).length ? `${ids.findings}-${field}` : undefined);

  return (
    <section aria-labelledby="compose-title">
      <h1 id="compose-title">{t('compose.title')}</h1>
      {submitted && (
        <div role="status" className="notice notice-good">
          <p>
            {t('compose.submitted', { title: submitted.title })} <StatusBadge status={submitted.status} />
          </p>
          <p>
            <a
              href="/content"
              onClick={(e) => {
                e.preventDefault();
                navigate('/content');
              }}
            >
              {t('compose.toMyContent')}
            </a>
          </p>
        </div>
      )}
      <form className="compose" onSubmit={(e) => void onSubmit(e)} noValidate>
        <div className="field">
          <label htmlFor={ids.kind}>{t('compose.kind')}</label>
          <select id={ids.kind} value={kind} onChange={(e) => setKind(e.target.value as ContentKind)}>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`kind.${k}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.title}>
            {t('compose.titleLabel')} <span className="required">({t('compose.requiredMark')})</span>
          </label>
          <input
            id={ids.title}
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            required
            aria-invalid={findingsFor('title').length > 0 || undefined}
            aria-describedby={describedBy('title')}
          />
          {fieldFindings('title')}
        </div>
        <div className="field">
          <label htmlFor={ids.hi} lang="hi">
            {t('compose.bodyHi')} <span className="required">({t('compose.requiredMark')})</span>
          </label>
          <textarea
            id={ids.hi}
            lang="hi"
            rows={6}
            value={bodyHi}
            onChange={(e) => setBodyHi(e.target.value)}
            required
            aria-invalid={findingsFor('body').length > 0 || undefined}
            aria-describedby={describedBy('body')}
          />
          {fieldFindings('body')}
        </div>
        <div className="field">
          <label htmlFor={ids.en}>{t('compose.bodyEn')}</label>
          <textarea
            id={ids.en}
            lang="en"
            rows={4}
            value={bodyEn}
            onChange={(e) => setBodyEn(e.target.value)}
          />
        </div>
        <fieldset className="field">
          <legend>{t('compose.accounts')}</legend>
          {accounts.length === 0 && <p>{t('compose.noAccounts')}</p>}
          {accounts.map((a) => (
            <label key={a.id} className="check">
              <input
                type="checkbox"
                checked={targets.includes(a.id)}
                onChange={(e) =>
                  setTargets((list) => (e.target.checked ? [...list, a.id] : list.filter((x) => x !== a.id)))
                }
              />
              {t(`platform.${a.platform}`)} ({a.handle})
            </label>
          ))}
        </fieldset>
        <section className="checks" aria-labelledby="checks-title">
          <h2 id="checks-title">{t('compose.checks')}</h2>
          <div aria-live="polite">
            {variants.length === 0 && <p>{t('compose.checksIdle')}</p>}
            <ul className="variants">
              {variants.map((v) => (
                <li key={v.account.id}>
                  <strong>{t(`platform.${v.platform}`)}</strong> ({v.account.handle}):{' '}
                  {v.platform === 'X' ? (
                    <span className={v.weightedLength > X_LIMIT ? 'over' : undefined} data-testid="x-count">
                      {t('compose.xCount', { weighted: v.weightedLength, limit: X_LIMIT })}
                    </span>
                  ) : (
                    <span>{t('compose.length', { weighted: v.weightedLength })}</span>
                  )}{' '}
                  {v.violations.length === 0 ? (
                    <span>
                      <span aria-hidden="true">✓ </span>
                      {t('compose.noFindings')}
                    </span>
                  ) : (
                    <span>
                      <span aria-hidden="true">⚠ </span>
                      {t('compose.findings', { count: v.violations.length })}
                    </span>
                  )}
                </li>
              ))}
            </ul>
            {findings.length > 0 && (
              <ul className="findings">
                {findings.map((f, i) => (
                  <li key={i}>
                    {t(`platform.${f.platform}`)} · {f.field}: {f.message}
                  </li>
                ))}
              </ul>
            )}
          </div>
        </section>
        {problem && (
          <p role="alert" className="notice notice-error">
            {problem}
          </p>
        )}
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? t('compose.submitting') : t('compose.submit')}
        </button>
      </form>
    </section>
  );
}
