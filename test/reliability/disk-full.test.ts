/**
 * A full disk (issue 14, item 10), on a real one: the ledger on a small tmpfs, filled up by
 * another file. A write answers 503 store-cannot-write and /readyz says not ready until a write
 * succeeds again, after space was freed. Mounting needs root; elsewhere the test is skipped.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestFiles,
  expectNoStackTrace,
  expectProblem,
  expectRecorded,
  paths,
  recordFoundingCase,
  startApi,
  type TestFiles,
} from '../api/support.ts';

const mountPoint = mkdtempSync(join(tmpdir(), 'ledger-disk-full-'));
const mounted = (() => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mountPoint], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
})();

let files: TestFiles;
beforeAll(() => {
  files = createTestFiles();
});
afterAll(() => {
  files.remove();
  if (mounted) execFileSync('umount', [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

/** Writes `path` until the file system has no byte left. */
function fill(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

const shipment = (shipmentId: string) => ({ shipmentId, shippedOn: '2006-03-01', units: 1 });

describe.skipIf(!mounted)('a full disk under the ledger', () => {
  it('answers 503 store-cannot-write and is not ready until a write succeeds again', async () => {
    const api = await startApi({
      files,
      store: 'sqlite',
      env: { LEDGER_STORE: `sqlite:${join(mountPoint, 'ledger.sqlite')}` },
    });
    try {
      await recordFoundingCase(api);
      expect((await api.get('/readyz', { as: null })).statusCode).toBe(200);
      const filler = join(mountPoint, 'filler');
      fill(filler);

      // The WAL may have room left in its last pages: write until a write needs more.
      let refused = await api.post(paths.program('shipments'), shipment('full-0'));
      for (let i = 1; refused.statusCode === 201 && i < 50; i++)
        refused = await api.post(paths.program('shipments'), shipment(`full-${i}`));
      const problem = expectProblem(refused, 503, 'store-cannot-write');
      expect(problem.detail).toContain('cannot write');
      expectNoStackTrace(refused);
      expect(refused.headers['retry-after']).toBeDefined();
      const notReady = await api.get('/readyz', { as: null });
      expect(notReady.statusCode).toBe(503);
      expect(notReady.data).toMatchObject({ ready: false });
      expect(notReady.data.detail).toContain('cannot write');

      rmSync(filler);
      expectRecorded(await api.post(paths.program('shipments'), shipment('after-freeing')));
      expect((await api.get('/readyz', { as: null })).statusCode).toBe(200);
    } finally {
      await api.close();
    }
  });
});
