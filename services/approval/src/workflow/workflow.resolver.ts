import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import type { Principal } from '@prasar/auth';
import { Caller } from '@prasar/graphql';
import type { StageDefinition } from './workflow.rules';
import { WorkflowService } from './workflow.service';

@Resolver()
export class WorkflowResolver {
  constructor(private readonly workflows: WorkflowService) {}

  @Query('workflow')
  workflow(
    @Caller() caller: Principal,
    @Args('departmentId') departmentId: string,
  ): Promise<StageDefinition[]> {
    return this.workflows.get(caller, departmentId);
  }

  @Mutation('setWorkflow')
  setWorkflow(
    @Caller() caller: Principal,
    @Args('departmentId') departmentId: string,
    @Args('stages') stages: StageDefinition[],
  ): Promise<StageDefinition[]> {
    return this.workflows.set(caller, departmentId, stages);
  }
}
