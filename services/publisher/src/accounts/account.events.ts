// The publisher's account events. Credentials never appear in them.
import type { Principal } from '@prasar/auth';
import { AccountConnectedSchema, AccountNeedsReauthSchema, Platform as PbPlatform } from '@prasar/contracts';
import type { EventPublisher } from '@prasar/kafka';
import type { EntityManager } from 'typeorm';
import type { SocialAccount } from './account.entity';

export class AccountEvents {
  constructor(private readonly events: EventPublisher) {}

  connected(em: EntityManager, account: SocialAccount, reconnected: boolean, actor: Principal) {
    return this.events.publish(em, {
      schema: AccountConnectedSchema,
      message: {
        accountId: account.id,
        departmentId: account.departmentId,
        platform: PbPlatform[account.platform],
        handle: account.handle,
        externalAccountId: account.externalAccountId,
        reconnected,
        actor: { subject: actor.subject, name: actor.name, roles: actor.roles },
      },
    });
  }

  needsReauth(em: EntityManager, account: SocialAccount, reason: string) {
    return this.events.publish(em, {
      schema: AccountNeedsReauthSchema,
      message: {
        accountId: account.id,
        departmentId: account.departmentId,
        platform: PbPlatform[account.platform],
        handle: account.handle,
        reason,
      },
    });
  }
}
