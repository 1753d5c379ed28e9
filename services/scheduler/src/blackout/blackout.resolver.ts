import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import type { Principal } from '@prasar/auth';
import { Caller } from '@prasar/graphql';
import type { BlackoutWindow } from './blackout.entity';
import { BlackoutService, type BlackoutInput } from './blackout.service';

@Resolver('BlackoutWindow')
export class BlackoutResolver {
  constructor(private readonly blackouts: BlackoutService) {}

  @Query('blackouts')
  list(@Caller() caller: Principal, @Args('activeAt') activeAt?: Date | null): Promise<BlackoutWindow[]> {
    return this.blackouts.list(caller, activeAt);
  }

  @Mutation('declareBlackout')
  declare(
    @Caller() caller: Principal,
    @Args('input') input: BlackoutInput,
    @Args('idempotencyKey') idempotencyKey?: string | null,
  ): Promise<BlackoutWindow> {
    return this.blackouts.declare(caller, input, new Date(), { key: idempotencyKey, request: { input } });
  }

  @Mutation('endBlackout')
  end(@Caller() caller: Principal, @Args('id') id: string): Promise<BlackoutWindow> {
    return this.blackouts.end(caller, id);
  }

  @Mutation('setDepartmentRegions')
  setRegions(
    @Caller() caller: Principal,
    @Args('departmentId') departmentId: string,
    @Args('regions') regions: string[],
  ): Promise<string[]> {
    return this.blackouts.setDepartmentRegions(caller, departmentId, regions);
  }
}
