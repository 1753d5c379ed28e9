import { useCallback, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation, useQuery } from 'urql';
import {
  ApprovalInboxDocument,
  DecideDocument,
  type ApprovalInboxQuery,
  type Decision,
  type ViewerQuery,
} from '../generated';
import { useDateTime, useNow, usePolling } from '../format';
import { StatusBadge } from './StatusBadge';

type Item = ApprovalInboxQuery['approvalInbox']['edges'][number]['node'];

/** When the stage waiting for a decision is due (the inbox is ordered by it). */
function dueAt(item: Item): string | undefined {
  const approval = item.approval;
  if (!approval || approval.currentStage == null) return undefined;
  return approval.stages.find((s) => s.index === approval.currentStage)?.dueAt;
}

export function Inbox({ viewer }: { viewer: ViewerQuery['viewer'] }) {
  const { t } = useTranslation();
  const [result, refetch] = useQuery({ query: ApprovalInboxDocument, variables: { first: 50 } });
  usePolling(useCallback(() => refetch({ requestPolicy: 'network-only' }), [refetch]));
  const items = [...(result.data?.approvalInbox.edges.map((e) => e.node) ?? [])].sort(
    (a, b) => Date.parse(dueAt(a) ?? '9999') - Date.parse(dueAt(b) ?? '9999'),
  );
  return (
    <section aria-labelledby="inbox-title">
      <h1 id="inbox-title">{t('inbox.title')}</h1>
      <p className="lead">{t('inbox.lead', { name: viewer.name })}</p>
      <p role="status" className="count">
        {result.fetching && !result.data
          ? t('app.loading')
          : t('inbox.count', { count: result.data?.approvalInbox.totalCount ?? 0 })}
      </p>
      {result.error && (
        <p role="alert" className="notice notice-error">
          {t('app.failed')}
        </p>
      )}
      <ul className="cards">
        {items.map((item) => (
          <InboxItem key={item.id} item={item} />
        ))}
      </ul>
    </section>
  );
}

function Countdown({ due }: { due: string }) {
  const { t } = useTranslation();
  const now = useNow();
  const minutes = Math.round((Date.parse(due) - now) / 60_000);
  const abs = Math.abs(minutes);
  const span = { hours: Math.floor(abs / 60), minutes: abs % 60 };
  return minutes >= 0 ? (
    <span>{t('inbox.dueIn', span)}</span>
  ) : (
    <strong className="overdue">
      <span aria-hidden="true">⚠ </span>
      {t('inbox.overdue', span)}
    </strong>
  );
}

function InboxItem({ item }: { item: Item }) {
  const { t, i18n } = useTranslation();
  const formatDate = useDateTime();
  const commentId = useId();
  const [comment, setComment] = useState('');
  const [problem, setProblem] = useState<string>();
  const [outcome, setOutcome] = useState<string>();
  const [{ fetching }, decide] = useMutation(DecideDocument);
  const due = dueAt(item);
  const hindi = item.body.find((b) => b.language === 'HI')?.text;
  const english = item.body.find((b) => b.language === 'EN')?.text;

  const onDecide = async (decision: Decision) => {
    setProblem(undefined);
    if (decision !== 'APPROVE' && !comment.trim()) {
      setProblem(t('inbox.commentNeeded'));
      document.getElementById(commentId)?.focus();
      return;
    }
    const res = await decide({ contentId: item.id, decision, comment: comment.trim() || undefined });
    if (res.error || !res.data) {
      setProblem(t('inbox.failed', { reason: res.error?.graphQLErrors[0]?.message ?? '' }));
      return;
    }
    setOutcome(t(`inbox.done.${decision}`, { title: item.title }));
  };

  return (
    <li className="card">
      <h2 className="card-title">{item.title}</h2>
      <p className="meta">
        <StatusBadge status={item.status} />
        <span>{t(`kind.${item.kind}`)}</span>
        <span>{i18n.language === 'hi' ? item.department.nameHi : item.department.name}</span>
        <span>{t('inbox.version', { version: item.version })}</span>
      </p>
      {due && (
        <p className="due">
          {t('inbox.due')}: <time dateTime={due}>{formatDate(due)}</time> · <Countdown due={due} />
        </p>
      )}
      {hindi && (
        <p className="body" lang="hi">
          {hindi}
        </p>
      )}
      {english && (
        <p className="body" lang="en">
          {english}
        </p>
      )}
      {outcome ? (
        <p role="status" className="notice notice-good">
          {outcome}
        </p>
      ) : (
        <div className="decide">
          <div className="field">
            <label htmlFor={commentId}>{t('inbox.comment')}</label>
            <textarea id={commentId} rows={2} value={comment} onChange={(e) => setComment(e.target.value)} />
          </div>
          {problem && (
            <p role="alert" className="notice notice-error">
              {problem}
            </p>
          )}
          <div className="actions">
            <button
              type="button"
              className="button primary"
              disabled={fetching}
              onClick={() => void onDecide('APPROVE')}
            >
              {t('inbox.approve')}
            </button>
            <button
              type="button"
              className="button"
              disabled={fetching}
              onClick={() => void onDecide('REQUEST_CHANGES')}
            >
              {t('inbox.requestChanges')}
            </button>
            <button
              type="button"
              className="button danger"
              disabled={fetching}
              onClick={() => void onDecide('REJECT')}
            >
              {t('inbox.reject')}
            </button>
          </div>
        </div>
      )}
    </li>
  );
}
