import { Args, Mutation, Parent, Query, ResolveField, ResolveReference, Resolver } from '@nestjs/graphql';
import type { Principal } from '@prasar/auth';
import { Caller } from '@prasar/graphql';
import type { SocialAccount } from './account.entity';
import { AccountsService, type AccountInput, type AccountOptions } from './accounts.service';

@Resolver('SocialAccount')
export class SocialAccountResolver {
  constructor(private readonly accounts: AccountsService) {}

  @Mutation('connectAccount')
  connect(
    @Caller() caller: Principal,
    @Args('input') input: AccountInput,
    @Args('options') options?: AccountOptions | null,
    @Args('idempotencyKey') idempotencyKey?: string | null,
  ): Promise<SocialAccount> {
    return this.accounts.connect(caller, input, options ?? {}, new Date(), {
      key: idempotencyKey,
      request: { input, options },
    });
  }

  @Query('socialAccount')
  socialAccount(@Caller() caller: Principal, @Args('id') id: string): Promise<SocialAccount | null> {
    return this.accounts.byId(caller, id);
  }

  @ResolveField('department')
  department(@Parent() account: SocialAccount) {
    return { __typename: 'Department', id: account.departmentId };
  }

  @ResolveReference()
  resolveReference(ref: { id: string }, ...rest: unknown[]): Promise<SocialAccount | null> {
    return this.accounts.byId((rest[0] as { principal: Principal }).principal, ref.id);
  }
}

/** The publisher's contribution to intake's Department entity. */
@Resolver('Department')
export class DepartmentAccountsResolver {
  constructor(private readonly accounts: AccountsService) {}

  @ResolveField('accounts')
  accountsOf(@Caller() caller: Principal, @Parent() department: { id: string }): Promise<SocialAccount[]> {
    return this.accounts.forDepartment(caller, department.id);
  }
}
