import { defineConfig } from 'vitest/config';

/**
 * Three lanes (as Emmett splits unit/int/e2e), chosen by file and folder names, never by a list:
 * `unit` is code with no I/O (no files, sockets, processes or threads), in seconds: the pure
 * domain's folder and any file named `*.unit.test.ts`; `e2e` real processes, a built binary or a
 * browser: the cli, reliability, build and console folders and any `*.e2e.test.ts`; `int`
 * everything else (adapters on real files and servers, the API through inject). `npm test` runs
 * all three, every file exactly once.
 */
const unit = ['test/domain/**/*.test.ts', 'test/**/*.unit.test.ts'];
const e2e = ['test/{cli,reliability,build,console}/**/*.test.ts', 'test/**/*.e2e.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // expect.poll gives up after 1 s by default: a browser page under a loaded CI machine
    // (Node 24 lane, 2026-12-07) took longer than that to show an answer that was right.
    expect: { poll: { timeout: 15_000 } },
    projects: [
      { extends: true, test: { name: 'unit', include: unit, exclude: e2e } },
      {
        extends: true,
        test: { name: 'int', include: ['test/**/*.test.ts'], exclude: [...unit, ...e2e] },
      },
      { extends: true, test: { name: 'e2e', include: e2e } },
    ],
  },
});
