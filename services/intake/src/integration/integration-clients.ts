import { Inject, Injectable, Logger } from '@nestjs/common';
import { Args, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import {
  BadInputError,
  departmentIdOf,
  DomainError,
  ForbiddenError,
  isStateWide,
  NotFoundError,
  type IdentityDirectory,
  type IntegrationClient,
  type IssuedCredentials,
  type Principal,
} from '@prasar/auth';
import { Caller } from '@prasar/graphql';
import type { Department } from '../department/department.entity';
import { DepartmentService } from '../department/department.service';

/** The injection token of the identity provider's directory (null when none is configured). */
export const IDENTITY_DIRECTORY = Symbol('IDENTITY_DIRECTORY');

export interface IntegrationClientView extends IntegrationClient {
  departmentId: string;
}

// 3-100 characters, none of them a control character.
const validName = (name: string) => name.length >= 3 && name.length <= 100 && !/\p{Cc}/u.test(name);

/**
 * Integration clients for departments' own systems, created and managed by the IT cell through
 * the identity provider's directory. The secret is returned once and kept nowhere in Prasar.
 */
@Injectable()
export class IntegrationClients {
  private readonly log = new Logger('IntegrationClients');

  constructor(
    @Inject(IDENTITY_DIRECTORY) private readonly directory: IdentityDirectory | null,
    private readonly departments: DepartmentService,
  ) {}

  async list(caller: Principal, departmentId?: string | null): Promise<IntegrationClientView[]> {
    const directory = this.authorize(caller);
    let code: string | undefined;
    if (departmentId) code = (await this.department(caller, departmentId)).code;
    return (await directory.listIntegrationClients(code)).map(view);
  }

  async create(caller: Principal, input: { departmentId: string; name: string }): Promise<Credentials> {
    const directory = this.authorize(caller);
    const name = input.name.trim();
    if (!validName(name)) {
      throw new BadInputError('The integration client needs a name', [
        { field: 'name', rule: 'LENGTH', message: 'A name is 3-100 characters without control characters' },
      ]);
    }
    const department = await this.department(caller, input.departmentId);
    const issued = await directory.createIntegrationClient({
      departmentCode: department.code,
      name,
      createdBy: caller.subject,
    });
    this.log.log(
      `integration client ${issued.client.clientId} created for ${department.code} by ${caller.subject}`,
    );
    return this.credentials(directory, issued);
  }

  async rotate(caller: Principal, clientId: string): Promise<Credentials> {
    const directory = this.authorize(caller);
    const issued = await directory.rotateIntegrationClientSecret(await this.existing(directory, clientId));
    this.log.log(`integration client ${clientId}: secret rotated by ${caller.subject}`);
    return this.credentials(directory, issued);
  }

  async setEnabled(caller: Principal, clientId: string, enabled: boolean): Promise<IntegrationClientView> {
    const directory = this.authorize(caller);
    const client = await directory.setIntegrationClientEnabled(
      await this.existing(directory, clientId),
      enabled,
    );
    this.log.log(`integration client ${clientId} ${enabled ? 'enabled' : 'disabled'} by ${caller.subject}`);
    return view(client);
  }

  private authorize(caller: Principal): IdentityDirectory {
    if (!isStateWide(caller)) throw new ForbiddenError('Only the IT cell may manage integration clients');
    if (!this.directory) {
      throw new DomainError(
        'FORBIDDEN',
        "Integration clients are managed at the identity provider's own console here (no directory is configured)",
      );
    }
    return this.directory;
  }

  private async department(caller: Principal, id: string): Promise<Department> {
    const department = await this.departments.findVisible(caller, id);
    if (!department) throw new NotFoundError('Department', id);
    return department;
  }

  private async existing(directory: IdentityDirectory, clientId: string): Promise<string> {
    if (!(await directory.findIntegrationClient(clientId)))
      throw new NotFoundError('Integration client', clientId);
    return clientId;
  }

  private credentials(directory: IdentityDirectory, issued: IssuedCredentials): Credentials {
    return { client: view(issued.client), clientSecret: issued.clientSecret, tokenUrl: directory.tokenUrl };
  }
}

interface Credentials {
  client: IntegrationClientView;
  clientSecret: string;
  tokenUrl: string;
}

const view = (client: IntegrationClient): IntegrationClientView => ({
  ...client,
  departmentId: departmentIdOf(client.departmentCode),
});

@Resolver('IntegrationClient')
export class IntegrationClientResolver {
  constructor(
    private readonly clients: IntegrationClients,
    private readonly departments: DepartmentService,
  ) {}

  @Query('integrationClients')
  integrationClients(@Caller() caller: Principal, @Args('departmentId') departmentId: string | null) {
    return this.clients.list(caller, departmentId);
  }

  @Mutation('createIntegrationClient')
  createIntegrationClient(
    @Caller() caller: Principal,
    @Args('input') input: { departmentId: string; name: string },
  ) {
    return this.clients.create(caller, input);
  }

  @Mutation('rotateIntegrationClientSecret')
  rotateIntegrationClientSecret(@Caller() caller: Principal, @Args('clientId') clientId: string) {
    return this.clients.rotate(caller, clientId);
  }

  @Mutation('disableIntegrationClient')
  disableIntegrationClient(@Caller() caller: Principal, @Args('clientId') clientId: string) {
    return this.clients.setEnabled(caller, clientId, false);
  }

  @Mutation('enableIntegrationClient')
  enableIntegrationClient(@Caller() caller: Principal, @Args('clientId') clientId: string) {
    return this.clients.setEnabled(caller, clientId, true);
  }

  @ResolveField('department')
  async department(
    @Caller() caller: Principal,
    @Parent() client: IntegrationClientView,
  ): Promise<Department> {
    const department = await this.departments.findVisible(caller, client.departmentId);
    if (!department) throw new NotFoundError('Department', client.departmentId);
    return department;
  }
}
