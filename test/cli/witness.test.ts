/**
 * `compliance-ledger witness` as a user runs it: a real process listening on a port, cosigning
 * a checkpoint of the log it was given, with the verifier key it printed; stopped by SIGTERM.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSigningKey, signNote } from '../../src/integrity/checkpoint.ts';
import { addCheckpointBody } from '../../src/integrity/witnesses.ts';
import { EMPTY_ROOT, verifyCosignedCheckpoint } from '../../src/verify.ts';

const folder = mkdtempSync(join(tmpdir(), 'ledger-witness-cli-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('compliance-ledger witness', () => {
  it('serves add-checkpoint on its port and cosigns with the key it printed', async () => {
    const log = generateSigningKey('supplier.example/ledger');
    writeFileSync(join(folder, 'supplier.vkey'), `${log.verifierKey}\n`);
    const child = spawn(
      process.execPath,
      [
        '--import',
        import.meta.resolve('tsx'),
        join(import.meta.dirname, '../../src/cli/main.ts'),
        'witness',
        '--name',
        'inspector.example/witness',
        '--log',
        'supplier.vkey',
        '--port',
        '0',
      ],
      { cwd: folder, env: { ...process.env, LEDGER_STORE: '', LEDGER_CHECKPOINT_KEY: '' } },
    );
    let stderr = '';
    const started = new Promise<RegExpExecArray>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /listening on (\S+)\nits verifier key: (\S+)\n/.exec(stderr);
        if (match) resolve(match);
      });
      child.on('exit', () => reject(new Error(`witness exited: ${stderr}`)));
    });
    const [, url, vkey] = (await started) as unknown as [string, string, string];
    const note = signNote(
      `supplier.example/ledger\n0\n${Buffer.from(EMPTY_ROOT).toString('base64')}\n`,
      log,
    );
    const response = await fetch(`${url}/add-checkpoint`, {
      method: 'POST',
      body: addCheckpointBody(note, 0, []),
    });
    expect(response.status).toBe(200);
    const cosigned = note + (await response.text());
    expect(
      verifyCosignedCheckpoint(cosigned, { log: log.verifierKey, witnesses: [vkey], quorum: 1 }),
    ).toMatchObject({ treeSize: 0, cosigners: ['inspector.example/witness'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
