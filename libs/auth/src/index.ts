export * from './errors';
export * from './jwt';
export * from './principal';
