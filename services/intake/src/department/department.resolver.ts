import { Args, Mutation, Parent, Query, ResolveField, ResolveReference, Resolver } from '@nestjs/graphql';
import type { Principal } from '@prasar/auth';
import { Caller } from '@prasar/graphql';
import type { Department } from './department.entity';
import { DepartmentService, type DepartmentInput } from './department.service';

@Resolver('Department')
export class DepartmentResolver {
  constructor(private readonly departments: DepartmentService) {}

  @Query('departments')
  departmentsList(@Caller() caller: Principal): Promise<Department[]> {
    return this.departments.list(caller);
  }

  @Query('department')
  department(@Caller() caller: Principal, @Args('id') id: string): Promise<Department | null> {
    return this.departments.findVisible(caller, id);
  }

  @Mutation('createDepartment')
  createDepartment(
    @Caller() caller: Principal,
    @Args('input') input: DepartmentInput,
    @Args('idempotencyKey') idempotencyKey?: string | null,
  ): Promise<Department> {
    return this.departments.create(caller, input, { key: idempotencyKey, request: { input } });
  }

  @ResolveReference()
  resolveReference(ref: { id: string }, ...rest: unknown[]): Promise<Department | null> {
    const caller = (rest[0] as { principal: Principal }).principal;
    return this.departments.findVisible(caller, ref.id);
  }
}

@Resolver('Viewer')
export class ViewerResolver {
  constructor(private readonly departments: DepartmentService) {}

  @Query('viewer')
  viewer(@Caller() caller: Principal) {
    return {
      subject: caller.subject,
      name: caller.name,
      roles: caller.roles,
      departmentId: caller.departmentId,
    };
  }

  @ResolveField('department')
  department(
    @Caller() caller: Principal,
    @Parent() viewer: { departmentId?: string },
  ): Promise<Department | null> {
    return viewer.departmentId
      ? this.departments.findVisible(caller, viewer.departmentId)
      : Promise.resolve(null);
  }
}
