// Layering rules of src/ (issue 13), checked by `npm run depcheck` (dependency-cruiser):
//   src/main.ts → src/app.ts (+ src/bot.ts, src/jobs.ts, src/renderers.ts): the composition root, the only code that knows
//   every feature; src/features/<name>/: one folder per feature, importing only the platform, the office and
//   the features below it in FEATURE_ORDER; src/office/: the office's YAML; src/platform/: knows no feature;
//   src/sandbox/: the local sandbox and the Lark stand-in. Tests and scripts are free.
// Needs dependency-cruiser 17.4.3 (the last line for Node 20) as a devDependency.

/** Features, lowest first: a feature may import the ones before it, never the ones after it. */
const FEATURE_ORDER = ['leads', 'push', 'approval', 'activities', 'carriers', 'lifecycle', 'register', 'quotas', 'coordination', 'digests', 'ledger', 'admin', 'help'];

const ROOT_FILES = '^src/(app|main|bot|jobs|renderers)\\.ts$';
const any = (names) => `^src/features/(${names.join('|')})/`;

const featureRules = FEATURE_ORDER.slice(0, -1).map((name, i) => ({
  name: `feature-order-${name}`,
  comment: `${name} sits below ${FEATURE_ORDER.slice(i + 1).join(', ')} (FEATURE_ORDER in .dependency-cruiser.cjs)`,
  severity: 'error',
  from: { path: `^src/features/${name}/` },
  to: { path: any(FEATURE_ORDER.slice(i + 1)) },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'no import cycles in src/',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'platform-knows-no-feature',
      comment: 'src/platform/ imports nothing from the features, the sandbox or the composition root',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: ['^src/features/', '^src/sandbox/', ROOT_FILES] },
    },
    {
      name: 'office-below-features',
      comment: "src/office/ (the office's YAML) imports only the platform",
      severity: 'error',
      from: { path: '^src/office/' },
      to: { path: ['^src/features/', '^src/sandbox/', ROOT_FILES] },
    },
    {
      name: 'features-below-root',
      comment: 'a feature does not import the sandbox or the composition root',
      severity: 'error',
      from: { path: '^src/features/' },
      to: { path: ['^src/sandbox/', ROOT_FILES] },
    },
    {
      name: 'only-main-imports-app',
      comment: 'nothing in src/ imports src/app.ts or src/main.ts but src/main.ts',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/main\\.ts$' },
      to: { path: '^src/(app|main)\\.ts$' },
    },
    ...featureRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/generated/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
