import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Someone who asked to receive a department's WhatsApp broadcasts, with the evidence of it. */
@Entity('whatsapp_subscribers')
export class WhatsAppSubscriber {
  @PrimaryColumn({ type: 'uuid', name: 'account_id' }) accountId!: string;
  /** The WhatsApp id: the phone number's digits, country code first. */
  @PrimaryColumn({ type: 'text', name: 'wa_id' }) waId!: string;
  @Column({ type: 'uuid', name: 'department_id' }) departmentId!: string;
  @Column({ type: 'timestamptz', name: 'opted_in_at' }) optedInAt!: Date;
  /** How the opt-in was collected (e.g. `web-form`, `missed-call`, `whatsapp-message`). */
  @Column({ type: 'text', name: 'opt_in_source' }) optInSource!: string;
  /** What proves it (a form submission id, a call record, the inbound message id). */
  @Column({ type: 'text', name: 'opt_in_evidence' }) optInEvidence!: string;
  @Column({ type: 'text', name: 'recorded_by' }) recordedBy!: string;
  @Column({ type: 'timestamptz', name: 'opted_out_at', nullable: true }) optedOutAt!: Date | null;
  @Column({ type: 'text', name: 'opt_out_evidence', nullable: true }) optOutEvidence!: string | null;
}

export type DeliveryState = 'PENDING' | 'SENDING' | 'SENT' | 'UNCERTAIN' | 'FAILED' | 'SKIPPED_OPTED_OUT';

/** One recipient of one broadcast. */
@Entity('whatsapp_deliveries')
export class WhatsAppDelivery {
  @PrimaryColumn({ type: 'text', name: 'publication_id' }) publicationId!: string;
  @PrimaryColumn({ type: 'text', name: 'wa_id' }) waId!: string;
  @Column({ type: 'uuid', name: 'account_id' }) accountId!: string;
  @Column({ type: 'uuid', name: 'department_id' }) departmentId!: string;
  @Column('text') state!: DeliveryState;
  /** The job attempt that sent (or is sending) it. */
  @Column({ type: 'int', nullable: true }) attempt!: number | null;
  @Column({ type: 'text', name: 'message_id', nullable: true }) messageId!: string | null;
  @Column({ type: 'text', nullable: true }) error!: string | null;
  /** When sending began: from then on the recipient counts against the rolling 24-hour tier. */
  @Column({ type: 'timestamptz', name: 'sent_at', nullable: true }) sentAt!: Date | null;
  @Column({ type: 'timestamptz', name: 'updated_at' }) updatedAt!: Date;
}
