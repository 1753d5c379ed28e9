import { Args, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import type { Principal } from '@prasar/auth';
import type { PersonRole } from '@prasar/compliance';
import { Caller } from '@prasar/graphql';
import type { Department } from '../department/department.entity';
import { ComplianceService, type PolicyView } from './compliance.service';

/** The IT cell's compliance settings: the advertisement allow-list and the people registry. */
@Resolver('CompliancePolicy')
export class CompliancePolicyResolver {
  constructor(private readonly compliance: ComplianceService) {}

  @Query('compliancePolicy')
  compliancePolicy(@Caller() caller: Principal): Promise<PolicyView> {
    return this.compliance.policy(caller);
  }

  @Mutation('setAdvertisementAllowList')
  setAdvertisementAllowList(
    @Caller() caller: Principal,
    @Args('roles') roles: PersonRole[],
    @Args('allowDepartmentMinister') allowDepartmentMinister: boolean | null,
  ): Promise<PolicyView> {
    return this.compliance.setAdvertisementAllowList(caller, roles, allowDepartmentMinister);
  }

  @Mutation('setDepartmentMinisters')
  setDepartmentMinisters(
    @Caller() caller: Principal,
    @Args('departmentId') departmentId: string,
    @Args('names') names: string[],
  ): Promise<Department> {
    return this.compliance.setDepartmentMinisters(caller, departmentId, names);
  }
}

/** Department.ministers: the people registry's entry for the department. */
@Resolver('Department')
export class DepartmentMinistersResolver {
  constructor(private readonly compliance: ComplianceService) {}

  @ResolveField('ministers')
  ministers(@Caller() caller: Principal, @Parent() department: Department): Promise<string[]> {
    return this.compliance.ministersVisibleTo(caller, department.id);
  }
}
