import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  BadInputError,
  canAccessDepartment,
  ConflictError,
  departmentIdOf,
  departmentScope,
  ForbiddenError,
  isStateWide,
  type Principal,
  type Violation,
} from '@prasar/auth';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { DepartmentCreatedSchema } from '@prasar/contracts';
import { EventPublisher } from '@prasar/kafka';
import { asCaller, idempotent, type IdempotencyRequest } from '@prasar/persistence';
import { actorOf } from '../content/snapshot';
import { isUuid } from '../content/ids';
import { Department } from './department.entity';

export interface DepartmentInput {
  code: string;
  name: string;
  nameHi: string;
}

const DEVANAGARI = /[\u0900-\u097F]/;

@Injectable()
export class DepartmentService {
  constructor(
    private readonly ds: DataSource,
    private readonly events: EventPublisher,
  ) {}

  /** The departments the caller may see: all for the IT cell, otherwise its own. */
  list(caller: Principal): Promise<Department[]> {
    const scope = departmentScope(caller);
    return asCaller(this.ds, caller, (em) =>
      // A state's departments, at most 200 (the gateway's cost estimate counts on it).
      em.find(Department, { where: scope ? { id: scope } : {}, order: { code: 'ASC' }, take: 200 }),
    );
  }

  /** A department the caller may see, or null (the same whether it exists elsewhere or not). */
  async findVisible(caller: Principal, id: string): Promise<Department | null> {
    if (!canAccessDepartment(caller, id)) return null;
    return asCaller(this.ds, caller, (em) => this.byId(em, id));
  }

  /** A department by id, as the transaction's tenant may see it. */
  async byId(em: EntityManager, id: string): Promise<Department | null> {
    if (!isUuid(id)) return null;
    return em.findOneBy(Department, { id });
  }

  /** A new department (the IT cell); with an idempotency key, a repeat answers the first one. */
  async create(
    caller: Principal,
    input: DepartmentInput,
    idempotency?: IdempotencyRequest,
  ): Promise<Department> {
    if (!isStateWide(caller)) throw new ForbiddenError('Only the IT cell may create departments');
    const code = input.code.trim().toLowerCase();
    const v: Violation[] = [];
    if (!/^[a-z][a-z0-9-]{1,39}$/.test(code))
      v.push({ field: 'code', rule: 'CODE', message: 'A code is 2-40 lowercase letters, digits or dashes' });
    if (!input.name.trim())
      v.push({ field: 'name', rule: 'REQUIRED', message: 'The English name is required' });
    if (!DEVANAGARI.test(input.nameHi))
      v.push({
        field: 'nameHi',
        rule: 'DEVANAGARI',
        message: 'The Hindi name must be written in Devanagari',
      });
    if (v.length) throw new BadInputError('The department has problems to fix', v);
    const id = departmentIdOf(code);
    return asCaller(this.ds, caller, (em) =>
      idempotent(em, {
        operation: 'createDepartment',
        caller,
        idempotency,
        create: async () => {
          const inserted = await em
            .createQueryBuilder()
            .insert()
            .into(Department)
            .values({ id, code, name: input.name.trim(), nameHi: input.nameHi.trim() })
            .orIgnore()
            .returning('*')
            .execute();
          if (inserted.raw.length === 0)
            throw new ConflictError(`A department with code "${code}" already exists`);
          // In the same transaction: every service that lists departments knows this one too.
          await this.events.publish(em, {
            schema: DepartmentCreatedSchema,
            message: {
              departmentId: id,
              code,
              name: input.name.trim(),
              nameHi: input.nameHi.trim(),
              actor: actorOf(caller),
              createdAt: timestampFromDate(new Date()),
            },
          });
          return (await this.byId(em, id)) as Department;
        },
        idOf: (department) => department.id,
        replay: (departmentId) => this.byId(em, departmentId),
      }),
    );
  }
}
