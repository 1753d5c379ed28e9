// Builders shared by this library's specs.
import type { ComplianceContent, ComplianceMedia, ComplianceTarget, Platform } from './types';

export function jpeg(overrides: Partial<ComplianceMedia> = {}): ComplianceMedia {
  return {
    url: 'https://media.mp.gov.in/agri/kisan.jpg',
    mimeType: 'image/jpeg',
    altText: 'किसान खेत में फसल के साथ / A farmer with the harvest',
    people: [],
    widthPx: 1080,
    heightPx: 1080,
    sizeBytes: 500_000,
    ...overrides,
  };
}

export function content(overrides: Partial<ComplianceContent> = {}): ComplianceContent {
  return {
    kind: 'ACHIEVEMENT',
    priority: 'NORMAL',
    title: 'गेहूँ उपार्जन',
    body: [
      { language: 'EN', text: 'Wheat procurement crossed 10 lakh tonnes.' },
      { language: 'HI', text: 'गेहूँ उपार्जन 10 लाख टन के पार।' },
    ],
    hashtags: ['MPKisan'],
    link: null,
    media: [jpeg()],
    evidence: null,
    ...overrides,
  };
}

export function target(platform: Platform, overrides: Partial<ComplianceTarget> = {}): ComplianceTarget {
  return { accountId: `${platform.toLowerCase()}-1`, platform, ...overrides };
}

export const ALL_TARGETS: ComplianceTarget[] = [
  target('X'),
  target('FACEBOOK'),
  target('INSTAGRAM'),
  target('WHATSAPP'),
];
