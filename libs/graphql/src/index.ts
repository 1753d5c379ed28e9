export * from './errors';
export * from './inputs';
export * from './metrics';
export * from './module';
export * from './principal';
export * from './scalars';
export * from './loader';
