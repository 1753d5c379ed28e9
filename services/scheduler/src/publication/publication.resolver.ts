import { Args, Mutation, Parent, Query, ResolveField, ResolveReference, Resolver } from '@nestjs/graphql';
import type { Principal } from '@prasar/auth';
import { Caller } from '@prasar/graphql';
import type { Publication } from './publication.entity';
import { PublicationService, type ScheduleRequest } from './publication.service';

@Resolver('Publication')
export class PublicationResolver {
  constructor(private readonly publications: PublicationService) {}

  @Mutation('schedule')
  schedule(@Caller() caller: Principal, @Args('input') input: ScheduleRequest): Promise<Publication[]> {
    return this.publications.schedule(caller, input);
  }

  @Mutation('cancelPublication')
  cancel(
    @Caller() caller: Principal,
    @Args('id') id: string,
    @Args('reason') reason: string,
  ): Promise<Publication> {
    return this.publications.cancel(caller, id, reason);
  }

  @Query('calendar')
  calendar(
    @Caller() caller: Principal,
    @Args('from') from: Date,
    @Args('to') to: Date,
    @Args('departmentId') departmentId?: string | null,
    @Args('first') first?: number | null,
  ): Promise<Publication[]> {
    return this.publications.calendar(caller, from, to, departmentId, first ?? undefined);
  }

  @ResolveField('content')
  content(@Parent() p: Publication) {
    return { __typename: 'Content', id: p.contentId };
  }

  @ResolveField('account')
  account(@Parent() p: Publication) {
    return { __typename: 'SocialAccount', id: p.accountId };
  }

  @ResolveField('heldReason')
  heldReason(@Parent() p: Publication): string | null {
    return p.state === 'HELD' ? (p.heldDetail ?? p.holdReason) : null;
  }

  @ResolveReference()
  resolveReference(ref: { id: string }, ...rest: unknown[]): Promise<Publication | null> {
    return this.publications.byId((rest[0] as { principal: Principal }).principal, ref.id);
  }
}

/** The scheduler's contribution to intake's Content entity. */
@Resolver('Content')
export class ContentPublicationsResolver {
  constructor(private readonly publications: PublicationService) {}

  @ResolveField('publications')
  publicationsOf(@Caller() caller: Principal, @Parent() content: { id: string }): Promise<Publication[]> {
    return this.publications.forContent(caller, content.id);
  }
}
