import type { Platform } from '@prasar/compliance';
import { FacebookAdapter } from './facebook.adapter';
import { InstagramAdapter } from './instagram.adapter';
import type { AdapterOptions, PlatformAdapter } from './platform';
import { WhatsAppAdapter } from './whatsapp.adapter';
import { XAdapter } from './x.adapter';

/** Where each platform's API is, unless an account overrides it. */
export type PlatformBaseUrls = Record<Platform, string>;

/** The adapter of each platform, and the base URL an account's calls go to. */
export class PlatformAdapters {
  private readonly adapters: Record<Platform, PlatformAdapter>;

  constructor(
    options: AdapterOptions,
    private readonly baseUrls: PlatformBaseUrls,
  ) {
    this.adapters = {
      X: new XAdapter(options),
      FACEBOOK: new FacebookAdapter(options),
      INSTAGRAM: new InstagramAdapter(options),
      WHATSAPP: new WhatsAppAdapter(options),
    };
  }

  of(platform: Platform): PlatformAdapter {
    return this.adapters[platform];
  }

  /** The account's own base URL when the IT cell set one, else the platform's. */
  baseUrlFor(platform: Platform, override: string | null): string {
    return override ?? this.baseUrls[platform];
  }
}
