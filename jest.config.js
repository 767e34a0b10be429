// Three projects: unit (pure logic + real server on 127.0.0.1), component (Taro components in jsdom via
// @tarojs/test-utils-react), e2e (the H5 build in Debian Chromium against a real server).
const taroJest = require('@tarojs/test-utils-react/dist/jest.js').default;

const SERVER_ESM = ['jose', 'file-type', 'strtok3', 'token-types', '@tokenizer', 'uint8array-extras', '@borewit'];

const nodeProject = (name, roots) => ({
  displayName: name,
  testEnvironment: 'node',
  roots,
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.[jt]sx?$': 'babel-jest' },
  // ESM-only packages of the server (jose; file-type and its readers), compiled for jest's CommonJS.
  transformIgnorePatterns: [`/node_modules/(?!(${SERVER_ESM.join('|')})/)`],
  // file-type's Node entry is exported only under `import` / `module-sync`.
  testEnvironmentOptions: { customExportConditions: ['node', 'node-addons', 'module-sync'] },
});

const component = taroJest({
  displayName: 'component',
  rootDir: __dirname,
  // Platform shims load @tarojs/taro, so their tests run here too (against typed fakes of its APIs).
  roots: ['<rootDir>/tests/component', '<rootDir>/tests/platform'],
  testMatch: ['**/*.test.tsx', '**/*.test.ts'],
  bail: 0,
  // taro-h5 must load before the router, or their circular import leaves `history` undefined.
  setupFiles: [
    require.resolve('@tarojs/test-utils-react/dist/jest/jest.setup.js'),
    '<rootDir>/tests/helpers/taro-setup.js',
  ],
  transform: {
    '^.+\\.(js|jsx|ts|tsx|mjs)$': require.resolve('@tarojs/test-utils-react/dist/jest/babel-transformer.js'),
  },
  // These ship ESM (query-string and its helpers come with Taro's router).
  transformIgnorePatterns: [
    '<rootDir>/node_modules/(?!(@tarojs|@stencil|zustand|immer|swiper|lodash-es|query-string|decode-uri-component|split-on-first|filter-obj)/)',
  ],
  moduleFileExtensions: ['ts', 'tsx', 'js', 'mjs', 'json', 'jsx'],
});
// Components import their stylesheets; jsdom renders without them.
component.moduleNameMapper['\\.css$'] = '<rootDir>/tests/helpers/style-stub.js';
// Project entries reject global-only options that Taro's preset sets.
delete component.bail;
delete component.verbose;

module.exports = {
  reporters: ['default', '<rootDir>/tests/helpers/summary-reporter.js'],
  projects: [
    nodeProject('unit', ['<rootDir>/tests/unit', '<rootDir>/tests/server', '<rootDir>/tests/contract']),
    component,
    nodeProject('e2e', ['<rootDir>/tests/e2e']),
    nodeProject('fault', ['<rootDir>/tests/fault']),
    // PostgreSQL storage and several server processes through Redis (private instances per test).
    nodeProject('scale', ['<rootDir>/tests/scale']),
    {
      ...nodeProject('weapp', ['<rootDir>/tests/weapp']),
      testEnvironment: 'jsdom',
      // The compiled weapp output runs as built.
      transformIgnorePatterns: [`/node_modules/(?!(${SERVER_ESM.join('|')})/)`, '<rootDir>/dist/'],
    },
  ],
};
