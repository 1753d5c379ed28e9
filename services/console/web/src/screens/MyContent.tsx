import { useCallback, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useQuery } from 'urql';
import { MyContentDocument, type ContentFilter, type ContentStatus, type ViewerQuery } from '../generated';
import { useDateTime, useDebounced, usePolling } from '../format';
import { navigate } from '../router';
import { StatusBadge } from './StatusBadge';

const STATUSES: ContentStatus[] = [
  'DRAFT',
  'IN_REVIEW',
  'CHANGES_REQUESTED',
  'APPROVED',
  'REJECTED',
  'SCHEDULED',
  'PUBLISHED',
  'PARTIALLY_PUBLISHED',
  'FAILED',
  'WITHDRAWN',
];

export function MyContent({ viewer }: { viewer: ViewerQuery['viewer'] }) {
  const { t, i18n } = useTranslation();
  const formatDate = useDateTime();
  const searchId = useId();
  const statusId = useId();
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState<ContentStatus | ''>('');
  const settledSearch = useDebounced(search.trim(), 300);
  const filter: ContentFilter = {
    ...(viewer.department ? { departmentId: viewer.department.id } : {}),
    ...(settledSearch ? { search: settledSearch } : {}),
    ...(status ? { statuses: [status] } : {}),
  };
  const [result, refetch] = useQuery({ query: MyContentDocument, variables: { filter, first: 50 } });
  usePolling(useCallback(() => refetch({ requestPolicy: 'network-only' }), [refetch]));
  const items = result.data?.contents.edges.map((e) => e.node) ?? [];

  return (
    <section aria-labelledby="content-title">
      <h1 id="content-title">{t('content.title')}</h1>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor={searchId}>{t('content.search')}</label>
          <input
            id={searchId}
            type="search"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            placeholder={t('content.searchHint')}
          />
        </div>
        <div className="field">
          <label htmlFor={statusId}>{t('content.status')}</label>
          <select
            id={statusId}
            value={status}
            onChange={(e) => setStatus(e.target.value as ContentStatus | '')}
          >
            <option value="">{t('content.anyStatus')}</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`status.${s}`)}
              </option>
            ))}
          </select>
        </div>
      </form>
      <p role="status" className="count">
        {result.fetching && !result.data
          ? t('app.loading')
          : t('content.count', { count: result.data?.contents.totalCount ?? 0 })}
      </p>
      {result.error && (
        <p role="alert" className="notice notice-error">
          {t('app.failed')}
        </p>
      )}
      <ul className="cards">
        {items.map((item) => (
          <li key={item.id} className="card">
            <h2 className="card-title">
              <a
                href={`/content/${item.id}`}
                onClick={(e) => {
                  e.preventDefault();
                  navigate(`/content/${item.id}`);
                }}
              >
                {item.title}
              </a>
            </h2>
            <p className="meta">
              <StatusBadge status={item.status} />
              <span>{t(`kind.${item.kind}`)}</span>
              <span>
                {t('content.updated')}: {formatDate(item.updatedAt)}
              </span>
              <span>{i18n.language === 'hi' ? item.department.nameHi : item.department.name}</span>
            </p>
            {item.publications.length > 0 && (
              <ul className="links" aria-label={t('content.publications')}>
                {item.publications.map((p) => (
                  <li key={p.id}>
                    {p.url ? (
                      <a href={p.url} target="_blank" rel="noreferrer">
                        {t('content.livePost', { platform: t(`platform.${p.platform}`) })}
                      </a>
                    ) : (
                      <span>
                        {t(`platform.${p.platform}`)}: {t(`publication.${p.state}`)}
                      </span>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
