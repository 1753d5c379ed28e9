import { useTranslation } from 'react-i18next';
import { useQuery } from 'urql';
import { ContentDetailDocument } from '../generated';
import { useDateTime } from '../format';
import { navigate } from '../router';
import { StatusBadge } from './StatusBadge';

/** One content item: its text, publications and history. Another department's is not found. */
export function ContentDetail({ id }: { id: string }) {
  const { t, i18n } = useTranslation();
  const formatDate = useDateTime();
  const [result] = useQuery({ query: ContentDetailDocument, variables: { id } });
  const back = (
    <p>
      <a
        href="/content"
        onClick={(e) => {
          e.preventDefault();
          navigate('/content');
        }}
      >
        {t('detail.back')}
      </a>
    </p>
  );
  if (result.fetching && !result.data) return <p role="status">{t('app.loading')}</p>;
  const item = result.data?.content;
  const notFound = result.error?.graphQLErrors.some((e) => e.extensions?.code === 'NOT_FOUND');
  if (!item)
    return (
      <div role="alert" className="notice notice-error">
        <h1>{notFound || !result.error ? t('detail.notFoundTitle') : t('app.failedTitle')}</h1>
        <p>{notFound || !result.error ? t('detail.notFound') : t('app.failed')}</p>
        {back}
      </div>
    );
  return (
    <article aria-labelledby="detail-title">
      {back}
      <h1 id="detail-title">{item.title}</h1>
      <p className="meta">
        <StatusBadge status={item.status} />
        <span>{t(`kind.${item.kind}`)}</span>
        <span>{i18n.language === 'hi' ? item.department.nameHi : item.department.name}</span>
        <span>{t('inbox.version', { version: item.version })}</span>
        <span>
          {t('content.updated')}: {formatDate(item.updatedAt)}
        </span>
      </p>
      {item.body.map((b) => (
        <section key={b.language} aria-label={t(`detail.language.${b.language}`)}>
          <h2>{t(`detail.language.${b.language}`)}</h2>
          <p className="body" lang={b.language === 'HI' ? 'hi' : 'en'}>
            {b.text}
          </p>
        </section>
      ))}
      <section aria-labelledby="detail-publications">
        <h2 id="detail-publications">{t('content.publications')}</h2>
        {item.publications.length === 0 ? (
          <p>{t('detail.noPublications')}</p>
        ) : (
          <ul className="links">
            {item.publications.map((p) => (
              <li key={p.id}>
                {t(`platform.${p.platform}`)}: {t(`publication.${p.state}`)} · {formatDate(p.scheduledAt)}
                {p.heldReason ? ` · ${p.heldReason}` : ''}
                {p.url && (
                  <>
                    {' '}
                    ·{' '}
                    <a href={p.url} target="_blank" rel="noreferrer">
                      {t('content.livePost', { platform: t(`platform.${p.platform}`) })}
                    </a>
                  </>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="detail-history">
        <h2 id="detail-history">{t('detail.history')}</h2>
        <ol className="history">
          {item.history.map((h, i) => (
            <li key={i}>
              <time dateTime={h.at}>{formatDate(h.at)}</time>:{' '}
              <strong>{t(`history.${h.action}`, { defaultValue: h.action })}</strong>
              {h.fromStatus && h.toStatus && (
                <span>
                  {' '}
                  ({t(`status.${h.fromStatus}`)} → {t(`status.${h.toStatus}`)})
                </span>
              )}
              {h.note && <span> · {h.note}</span>}
            </li>
          ))}
        </ol>
      </section>
    </article>
  );
}
