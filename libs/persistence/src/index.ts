export * from './data-source';
export * from './migrate';
export * from './tenancy';
export { DataSource, type EntityManager } from 'typeorm';
export * from './module';
export * from './idempotency';
export * from './roles';
