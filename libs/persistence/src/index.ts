export * from './data-source';
export * from './migrate';
export { DataSource, type EntityManager } from 'typeorm';
export * from './module';
