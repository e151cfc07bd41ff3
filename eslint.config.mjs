import nx from '@nx/eslint-plugin';

const infrastructure = ['@nestjs/*', 'express', 'typeorm', 'pg', 'better-sqlite3', 'pino'];

const boundaries = (allow) => [
  'error',
  {
    enforceBuildableLibDependency: true,
    banTransitiveDependencies: true,
    allow,
    depConstraints: [
      // The domain is plain TypeScript: no framework, no database driver.
      { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain'], bannedExternalImports: infrastructure },
      { sourceTag: 'type:capsule-type', onlyDependOnLibsWithTags: ['type:domain', 'type:capsule-type'], bannedExternalImports: infrastructure },
      { sourceTag: 'type:pki', onlyDependOnLibsWithTags: ['type:domain'], bannedExternalImports: ['@nestjs/*', 'typeorm'] },
      { sourceTag: 'type:persistence', onlyDependOnLibsWithTags: ['type:domain'] },
      { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:domain', 'type:pki'] },
      {
        sourceTag: 'type:app',
        onlyDependOnLibsWithTags: ['type:domain', 'type:capsule-type', 'type:persistence', 'type:pki', 'type:platform'],
      },
      { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:domain', 'type:capsule-type', 'type:persistence', 'type:pki', 'type:platform', 'type:tool'] },
      { sourceTag: 'type:test', onlyDependOnLibsWithTags: ['type:domain', 'type:capsule-type', 'type:persistence', 'type:pki', 'type:platform', 'type:tool'] },
      { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:domain', 'type:tool', 'type:test'] },
    ],
  },
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  { ignores: ['**/dist', '**/node_modules', '**/tmp', '**/data', '**/.nx'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries([]),
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  // Specs may use the test PKI and the test databases; product code may not.
  {
    files: ['**/*.spec.ts'],
    rules: { '@nx/enforce-module-boundaries': boundaries(['@ccs/test-pki', '@ccs/test-support']) },
  },
];
