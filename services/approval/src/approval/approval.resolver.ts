import { Parent, ResolveField, Resolver } from '@nestjs/graphql';
import type { Principal } from '@prasar/auth';
import { Caller } from '@prasar/graphql';
import type { Approval } from './approval.entity';
import { ApprovalService } from './approval.service';

/** Approval's contribution to the Content entity owned by intake. */
@Resolver('Content')
export class ContentApprovalResolver {
  constructor(private readonly approvals: ApprovalService) {}

  @ResolveField('approval')
  approval(@Caller() caller: Principal, @Parent() content: { id: string }): Promise<Approval | null> {
    return this.approvals.latestFor(caller, content.id);
  }
}

@Resolver('Approval')
export class ApprovalResolver {
  constructor(private readonly approvals: ApprovalService) {}

  @ResolveField('content')
  content(@Parent() approval: Approval) {
    return { __typename: 'Content', id: approval.contentId };
  }

  @ResolveField('stages')
  async stages(@Parent() approval: Approval) {
    const stages = await this.approvals.stages(approval.id);
    return stages.map((s) => ({ ...s, decisions: [] }));
  }
}
