import { Controller, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import {
  AccountConnectedSchema,
  AccountNeedsReauthSchema,
  eventTypeOf,
  PublicationPublishedSchema,
  type AccountConnected,
  type AccountNeedsReauth,
  type PublicationPublished,
} from '@prasar/contracts';
import { PassThroughRpcFilter, type KafkaEventContext } from '@prasar/kafka';
import { AccountsService } from '../accounts/accounts.service';
import { ContentService } from '../content/content.service';
import { recordProgress } from './schedule-events.handler';

/**
 * The publisher's events intake keeps a read model of: which accounts exist (and their platform),
 * and which texts were published on each (for the duplicate-text rule).
 */
@Controller()
@UseFilters(PassThroughRpcFilter)
export class PublishEventsHandler {
  constructor(
    private readonly accounts: AccountsService,
    private readonly contents: ContentService,
  ) {}

  @EventPattern(eventTypeOf(AccountConnectedSchema))
  async onAccountConnected(@Payload() event: AccountConnected, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.accounts.connected(ctx.manager, event);
  }

  @EventPattern(eventTypeOf(AccountNeedsReauthSchema))
  async onAccountNeedsReauth(
    @Payload() event: AccountNeedsReauth,
    @Ctx() ctx: KafkaEventContext,
  ): Promise<void> {
    await this.accounts.needsReauth(ctx.manager, event);
  }

  @EventPattern(eventTypeOf(PublicationPublishedSchema))
  async onPublished(@Payload() event: PublicationPublished, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.accounts.published(ctx.manager, event);
    await recordProgress(this.contents, ctx, event, event.contentVersion, 'PUBLISHED');
  }
}
