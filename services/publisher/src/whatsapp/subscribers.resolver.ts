import { Args, Mutation, Resolver } from '@nestjs/graphql';
import type { Principal } from '@prasar/auth';
import { Caller } from '@prasar/graphql';
import { SubscribersService, type WhatsAppOptIn } from './subscribers.service';

@Resolver()
export class SubscribersResolver {
  constructor(private readonly subscribers: SubscribersService) {}

  @Mutation('recordWhatsAppOptIns')
  recordOptIns(
    @Caller() caller: Principal,
    @Args('accountId') accountId: string,
    @Args('optIns') optIns: WhatsAppOptIn[],
  ): Promise<number> {
    return this.subscribers.recordOptIns(caller, accountId, optIns);
  }
}
