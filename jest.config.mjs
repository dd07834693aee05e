/**
 * Jest runs in native ESM mode (the @nestjs/* 12 packages are ESM-only) and transforms TypeScript
 * with swc. Type-checking is done by `npm run typecheck` (tsc), not here.
 */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      keepClassNames: true,
      target: 'es2022',
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': swc,
    // ESM-only leaves that CommonJS dependencies require(): compiled to CommonJS for Jest on Node 20.
    '/node_modules/(cookie|content-disposition|file-type)/.+\\.js$': ['@swc/jest', { module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(cookie|content-disposition|file-type)/)'],
  moduleNameMapper: {
    '^@agent-p2p/sdk$': '<rootDir>/libs/sdk/src/index.ts',
    '^@agent-p2p/protocol$': '<rootDir>/libs/protocol/src/index.ts',
    '^@agent-p2p/testing$': '<rootDir>/libs/testing/src/index.ts',
    // The testing package starts Portals from their sources, by package name.
    '^@agent-p2p/portal/src/(.*)$': '<rootDir>/apps/portal/src/$1',
  },
  testMatch: [
    '<rootDir>/apps/*/src/**/*.spec.ts',
    '<rootDir>/libs/*/src/**/*.spec.ts',
    '<rootDir>/apps/*/test/**/*.e2e-spec.ts',
    '<rootDir>/apps/*/test/services/**/*.spec.ts',
  ],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // The packed channel plugin (apps/openclaw-channel/dist/package) repeats the workspace's package name.
  modulePathIgnorePatterns: ['<rootDir>/apps/openclaw-channel/dist/'],
  testTimeout: 60_000,
  maxWorkers: 2,
};
