import { defineConfig } from 'vitest/config';

/**
 * Three lanes (as Emmett splits unit/int/e2e): `unit` is the pure domain, projections, envelope
 * and Merkle code, in seconds; `int` the adapters, integrity over real stores and the API through
 * inject; `e2e` real processes (server, CLI binary, build). `npm test` runs all three.
 */
const unit = [
  'test/domain/**/*.test.ts',
  'test/projections/queries.test.ts',
  'test/eventstore/envelope.test.ts',
  'test/integrity/merkle.test.ts',
  'test/integrity/checkpoint.test.ts',
  'test/integrity/verify.test.ts',
  'test/integrity/consistency.test.ts',
  'test/integrity/inclusion.test.ts',
];
const e2e = [
  'test/api/e2e.test.ts',
  'test/cli/**/*.test.ts',
  'test/reliability/**/*.test.ts',
  'test/build/**/*.test.ts',
  'test/console/**/*.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // expect.poll gives up after 1 s by default: a browser page under a loaded CI machine
    // (Node 24 lane, 2026-12-07) took longer than that to show an answer that was right.
    expect: { poll: { timeout: 15_000 } },
    projects: [
      { extends: true, test: { name: 'unit', include: unit } },
      {
        extends: true,
        test: { name: 'int', include: ['test/**/*.test.ts'], exclude: [...unit, ...e2e] },
      },
      { extends: true, test: { name: 'e2e', include: e2e } },
    ],
  },
});
