/**
 * The layer order (docs/design.md, "Architecture"): each layer imports only layers below it.
 *   domain → projections (pure) → core → eventstore | integrity → commands | projections runtime
 *   | reports → composition root (and startup.ts) → alerts → api | cli
 * Type-only imports of the envelope and the port are allowed downwards of the store layer: the
 * pure projections fold RecordedEvents and name the type where the port defines it.
 */
const layers = [
  { name: 'domain', path: '^src/domain/' },
  { name: 'projections (pure)', path: '^projections/' },
  { name: 'core', path: '^src/(core/|verify\\.ts$)' },
  { name: 'eventstore | integrity', path: '^src/(eventstore|integrity)/' },
  {
    name: 'commands | projections runtime | reports',
    path: '^src/(commands|projections|reports)/',
  },
  { name: 'composition root', path: '^src/(composition/|config\\.ts$|startup\\.ts$)' },
  { name: 'alerts', path: '^src/alerts/' },
  { name: 'api | cli', path: '^src/(api/|cli/|main\\.ts$)' },
];

const envelopeTypes = '^src/(core/envelope|eventstore/port)\\.ts$';

module.exports = {
  forbidden: [
    ...layers.slice(0, -1).map((layer, index) => ({
      name: `layer-${layer.name}`,
      comment: `${layer.name} imports only layers below it`,
      severity: 'error',
      from: { path: layer.path },
      to: {
        path: layers
          .slice(index + 1)
          .map((above) => above.path)
          .join('|'),
        pathNot: envelopeTypes,
      },
    })),
    ...layers.slice(0, 3).map((layer) => ({
      name: `layer-${layer.name}-envelope-types-only`,
      comment: `${layer.name} may name the envelope types of the port, nothing else of it`,
      severity: 'error',
      from: { path: layer.path },
      to: { path: '^src/eventstore/port\\.ts$', dependencyTypesNot: ['type-only'] },
    })),
    {
      name: 'eventstore-not-integrity',
      comment: 'the stores keep the tree through core; integrity builds on the stores, never back',
      severity: 'error',
      from: { path: '^src/eventstore/' },
      to: { path: '^src/integrity/' },
    },
    {
      name: 'store-adapters-behind-their-index',
      comment:
        'outside src/eventstore, an adapter is reached through src/eventstore/*.ts or its index.ts, never its internals',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/eventstore/' },
      to: { path: '^src/eventstore/[^/]+/', pathNot: '^src/eventstore/[^/]+/index\\.ts$' },
    },
    {
      name: 'sqlite-driver-in-one-place',
      comment:
        'better-sqlite3 is loaded through src/eventstore/sqlite/driver.ts, which picks the version that works on this Node',
      severity: 'error',
      from: { pathNot: '^src/eventstore/sqlite/driver\\.ts$' },
      to: {
        path: '(node_modules/better-sqlite3(-node22)?|drivers/sqlite-node20)/',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^(src|projections)/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
