import { useTranslation } from 'react-i18next';
import type { ContentStatus } from '../generated';

const TONE: Record<ContentStatus, string> = {
  DRAFT: 'neutral',
  IN_REVIEW: 'info',
  CHANGES_REQUESTED: 'warn',
  APPROVED: 'good',
  REJECTED: 'bad',
  SCHEDULED: 'info',
  PUBLISHING: 'info',
  PUBLISHED: 'good',
  PARTIALLY_PUBLISHED: 'warn',
  FAILED: 'bad',
  WITHDRAWN: 'neutral',
};

/** A status in words (the colour only repeats what the words say). */
export function StatusBadge({ status }: { status: ContentStatus }) {
  const { t } = useTranslation();
  return <span className={`badge badge-${TONE[status]}`}>{t(`status.${status}`)}</span>;
}
