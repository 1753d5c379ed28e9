import { Args, Context, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import type { Principal } from '@prasar/auth';
import { Caller, requestLoader } from '@prasar/graphql';
import type { Approval, DecisionKind } from './approval.entity';
import { ApprovalService } from './approval.service';
import { DecisionService } from './decision.service';
import { InboxService, type ContentConnection } from './inbox.service';

/** Approval's contribution to the Content entity owned by intake. */
@Resolver('Content')
export class ContentApprovalResolver {
  constructor(private readonly approvals: ApprovalService) {}

  /** Batched per request: the gateway asks for a page of contents' approvals at once. */
  @ResolveField('approval')
  async approval(
    @Caller() caller: Principal,
    @Parent() content: { id: string },
    @Context() request: object,
  ): Promise<Approval | null> {
    const loader = requestLoader(request, 'approval.latestFor', (ids: string[]) =>
      this.approvals.latestForMany(caller, ids),
    );
    return (await loader.load(content.id)) ?? null;
  }
}

@Resolver('Approval')
export class ApprovalResolver {
  constructor(
    private readonly approvals: ApprovalService,
    private readonly decisions: DecisionService,
    private readonly inboxes: InboxService,
  ) {}

  @Query('approvalInbox')
  approvalInbox(
    @Caller() caller: Principal,
    @Args('first') first: number | null,
    @Args('after') after: string | null,
  ): Promise<ContentConnection> {
    return this.inboxes.inbox(caller, first ?? undefined, after);
  }

  @Mutation('decide')
  decide(
    @Caller() caller: Principal,
    @Args('contentId') contentId: string,
    @Args('decision') decision: DecisionKind,
    @Args('comment') comment: string | null,
  ): Promise<Approval> {
    return this.decisions.decide(caller, contentId, decision, comment);
  }

  @ResolveField('content')
  content(@Parent() approval: Approval) {
    return { __typename: 'Content', id: approval.contentId };
  }

  @ResolveField('stages')
  async stages(@Caller() caller: Principal, @Parent() approval: Approval) {
    const stages = await this.approvals.stages(caller, approval.id);
    return stages.map((s) => ({
      ...s,
      decisions: s.decisions.map((d) => ({
        by: d.decidedBy,
        decision: d.decision,
        comment: d.comment,
        at: d.decidedAt,
      })),
    }));
  }
}
