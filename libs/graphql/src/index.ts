export * from './errors';
export * from './module';
export * from './principal';
export * from './scalars';
