// One Jest run for the whole monorepo. Unit specs sit beside the code (*.spec.ts); integration specs
// (*.int.spec.ts) and end-to-end specs (test/e2e) need the real PostgreSQL and Kafka that
// `npm test` starts first.
const { readFileSync } = require('node:fs');

const swc = JSON.parse(readFileSync(`${__dirname}/.swcrc`, 'utf8'));
const { compilerOptions } = JSON.parse(readFileSync(`${__dirname}/tsconfig.base.json`, 'utf8'));

const moduleNameMapper = {};
for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
  moduleNameMapper[`^${alias.replace('/', '\\/')}$`] = `<rootDir>/${target.replace(/^\.\//, '')}`;
}

module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.(ts|js|mjs)$': ['@swc/jest', { ...swc, swcrc: false }] },
  // jose, and @kubernetes/client-node with its OIDC dependencies (test/k8s), are published as ESM
  // only; Jest (unlike Node 20.19+) cannot require them untransformed.
  transformIgnorePatterns: ['/node_modules/(?!(jose|@kubernetes/client-node|openid-client|oauth4webapi)/)'],
  moduleNameMapper,
  testMatch: [
    '<rootDir>/libs/**/*.spec.ts',
    '<rootDir>/services/**/*.spec.ts',
    '<rootDir>/test/**/*.spec.ts',
  ],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  testTimeout: 60_000,
  maxWorkers: 2,
};
