import { serviceShape, vars, z } from '@prasar/config';
import { KeyRingError, parseKeyRing } from './accounts/credentials';
import { AllowListError, parseAllowedHosts } from './platforms/address-guard';

// Locally (`npm start`, end-to-end tests) the stack tells every service where the simulator is.
const SIMULATOR = process.env.PLATFORM_SIM_URL || 'http://127.0.0.1:4900';

const ms = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

/** The publisher's environment, beyond what every service reads. */
export const publisherShape = {
  ...serviceShape,
  PORT: serviceShape.PORT.default(4104),
  /**
   * AES-256-GCM keys for account credentials: `keyId:base64key[,keyId:base64key…]`, 32-byte keys.
   * The first encrypts; the others still decrypt what they encrypted (rotation).
   */
  PUBLISHER_CREDENTIALS_KEYS: z
    .string()
    .min(1)
    .superRefine((value, ctx) => {
      try {
        parseKeyRing(value);
      } catch (err) {
        if (!(err instanceof KeyRingError)) throw err;
        ctx.addIssue({ code: 'custom', message: err.message });
      }
    }),
  /** Base URLs of the platform APIs (the simulator by default; an account may override its own). */
  X_API_BASE_URL: vars.url().default(SIMULATOR),
  META_GRAPH_BASE_URL: vars.url().default(SIMULATOR),
  WHATSAPP_BASE_URL: vars.url().default(SIMULATOR),
  /**
   * Hosts (`host[:port]`, comma-separated) an account's apiBaseUrl may name over https, besides the
   * platforms' own (api.x.com, api.twitter.com, graph.facebook.com, graph.instagram.com) and the
   * origins of the three base URLs above.
   */
  PUBLISHER_PLATFORM_API_HOSTS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((h) => h.trim())
        .filter(Boolean),
    ),
  /** The Graph API version in request paths. */
  META_GRAPH_VERSION: z
    .string()
    .regex(/^v\d+\.\d+$/)
    .default('v21.0'),
  /** Each platform request gives up after this long (and is then treated as possibly done). */
  PLATFORM_REQUEST_TIMEOUT_MS: ms(100, 120_000, 10_000),
  /** Fetching one media file from its URL (for X, which takes the bytes) gives up after this long. */
  PUBLISHER_MEDIA_TIMEOUT_MS: ms(100, 300_000, 30_000),
  /**
   * Hosts media may be fetched from although they are (or resolve to) loopback, private or
   * link-local addresses: `host[:port],…` (no port: any port; IPv6 in brackets). Empty: none.
   */
  PUBLISHER_MEDIA_ALLOWED_HOSTS: z
    .string()
    .default('')
    .superRefine((value, ctx) => {
      try {
        parseAllowedHosts(value);
      } catch (err) {
        if (!(err instanceof AllowListError)) throw err;
        ctx.addIssue({ code: 'custom', message: err.message });
      }
    })
    .transform((value) => parseAllowedHosts(value)),
  /**
   * The largest media file the publisher fetches into memory (X takes the bytes; a video may be up
   * to 512 MB there). Size the pod's memory for PUBLISHER_CONCURRENCY files of this size.
   */
  PUBLISHER_MEDIA_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024 * 1024)
    .max(512 * 1024 * 1024)
    .default(64 * 1024 * 1024),
  /** Fetch media over https only (hosts on the allow-list excepted). */
  PUBLISHER_MEDIA_HTTPS_ONLY: vars.bool(false),
  /**
   * X processes a GIF or video after its chunked upload: the attempt checks its STATUS when X's
   * `check_after_secs` says, waiting at most this long each time, at most this many times (then
   * the attempt is retried later and uploads again).
   */
  X_MEDIA_STATUS_MAX_WAIT_MS: ms(0, 600_000, 30_000),
  X_MEDIA_STATUS_MAX_POLLS: z.coerce.number().int().min(1).max(500).default(20),
  /** The Meta app secret that signs WhatsApp webhooks (X-Hub-Signature-256); unset refuses them. */
  WHATSAPP_APP_SECRET: z.string().min(1).optional(),
  /** The token Meta echoes when the webhook is registered (GET hub.verify_token). */
  WHATSAPP_VERIFY_TOKEN: z.string().min(1).optional(),
  /**
   * An inbound WhatsApp message older than this (by WhatsApp's own timestamp) is not acted on: a
   * signed delivery captured and replayed later cannot opt anyone in or out.
   */
  WHATSAPP_WEBHOOK_MAX_AGE_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .default(86_400),
  /** How often credentials sealed under an older key are sealed again under the current one. */
  PUBLISHER_RESEAL_INTERVAL_MS: ms(1_000, 86_400_000, 600_000),
  /** How often due publish jobs are claimed, and how many may be in flight at once in one process. */
  PUBLISHER_POLL_INTERVAL_MS: ms(20, 60_000, 500),
  PUBLISHER_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(16),
  /**
   * How long a claimed job is protected without a renewal; past it, the job is reconciled by
   * whoever claims it next. A live attempt renews its lease every third of it, so this bounds how
   * long a crashed worker's claim waits (with the poll interval and the look-up: within 30 s).
   */
  PUBLISHER_LEASE_MS: ms(1_000, 3_600_000, 15_000),
  /** Platform calls per publication before a retryable failure becomes final. */
  PUBLISHER_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  /** Exponential backoff between retryable attempts: the first delay, and the cap. */
  PUBLISHER_RETRY_BASE_MS: ms(10, 3_600_000, 5_000),
  PUBLISHER_RETRY_MAX_MS: ms(10, 86_400_000, 900_000),
  /** Instagram containers: status polls before giving the attempt up (it resumes with the same container). */
  INSTAGRAM_CONTAINER_POLL_MS: ms(0, 60_000, 2_000),
  INSTAGRAM_CONTAINER_MAX_POLLS: z.coerce.number().int().min(1).max(100).default(15),
  /** WhatsApp broadcasts: recipients claimed per transaction, and messages in flight at once. */
  WHATSAPP_BATCH_SIZE: z.coerce.number().int().min(1).max(1_000).default(50),
  WHATSAPP_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(8),
  /** How often each publication's engagement is read, while it is younger than the window. */
  ENGAGEMENT_POLL_INTERVAL_MS: ms(20, 86_400_000, 900_000),
  ENGAGEMENT_WINDOW_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(48),
};

export type PublisherConfig = z.infer<z.ZodObject<typeof publisherShape>>;
