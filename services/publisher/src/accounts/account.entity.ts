import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Platform } from '@prasar/compliance';

export type AccountStatus = 'ACTIVE' | 'NEEDS_REAUTH' | 'DISABLED';

/** A department's presence on one platform: a page, a user, an Instagram account or a phone number. */
@Entity('social_accounts')
export class SocialAccount {
  @PrimaryColumn('uuid') id!: string;
  @Column({ type: 'uuid', name: 'department_id' }) departmentId!: string;
  @Column('text') platform!: Platform;
  @Column('text') handle!: string;
  /** The platform's own id: X user id, Facebook page id, Instagram user id, WhatsApp phone-number id. */
  @Column({ type: 'text', name: 'external_account_id' }) externalAccountId!: string;
  @Column('text') status!: AccountStatus;
  /** Why it is not ACTIVE (the platform's words). */
  @Column({ type: 'text', name: 'status_reason', nullable: true }) statusReason!: string | null;
  /** Calls this account's API here instead of the configured base URL (IT cell only). */
  @Column({ type: 'text', name: 'api_base_url', nullable: true }) apiBaseUrl!: string | null;
  /** WhatsApp: the approved template broadcasts use (one body parameter: the text), its language and tier. */
  @Column({ type: 'text', name: 'whatsapp_template', nullable: true }) whatsappTemplate!: string | null;
  @Column({ type: 'text', name: 'whatsapp_template_language', nullable: true })
  whatsappTemplateLanguage!: string | null;
  @Column({ type: 'int', name: 'whatsapp_tier', nullable: true }) whatsappTier!: number | null;
  @Column({ type: 'text', name: 'connected_by' }) connectedBy!: string;
  @Column({ type: 'timestamptz', name: 'connected_at' }) connectedAt!: Date;
  @Column({ type: 'timestamptz', name: 'updated_at' }) updatedAt!: Date;
}

/** An account's secrets, sealed with AES-256-GCM under the key named beside them. */
@Entity('account_credentials')
export class AccountCredential {
  @PrimaryColumn({ type: 'uuid', name: 'account_id' }) accountId!: string;
  @Column({ type: 'uuid', name: 'department_id' }) departmentId!: string;
  @Column({ type: 'text', name: 'key_id' }) keyId!: string;
  @Column('bytea') iv!: Buffer;
  @Column('bytea') ciphertext!: Buffer;
  @Column({ type: 'bytea', name: 'auth_tag' }) authTag!: Buffer;
  /** Bumped on every write: a refresh racing a reconnect can tell that the secrets changed under it. */
  @Column('int') version!: number;
  @Column({ type: 'timestamptz', name: 'updated_at' }) updatedAt!: Date;
}
