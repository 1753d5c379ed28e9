export * from './errors';
export * from './jwt';
export * from './principal';
export * from './directory';
