/**
 * The offline verifier as the package exports it (`compliance-ledger/verify`): built by
 * `npm run build` (run by the `prepare` script, so `npm ci` builds it) and imported from plain
 * Node, without tsx, as an auditor's own script would.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MerkleTree } from '../../src/core/merkle/tree.ts';
import { leafHash } from '../../src/core/merkle-leaf.ts';
import {
  createCheckpointSigner,
  generateSigningKey,
  lastCheckpointInMemory,
} from '../../src/integrity/checkpoint.ts';

const root = join(import.meta.dirname, '../..');

beforeAll(() => {
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.verify.json'],
    {
      cwd: root,
    },
  );
}, 60_000);

/** Runs `script` as an ES module in a plain Node process inside the package; returns its stdout. */
function plainNode(script: string, input: unknown): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    // Nothing that could load tsx or another loader into the child.
    env: { PATH: process.env.PATH, LEDGER_INPUT: JSON.stringify(input) },
    encoding: 'utf8',
  });
}

describe("the package's ./verify export", () => {
  it('declares its types beside the JavaScript', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.exports['./verify']).toEqual({
      types: './dist/verify.d.ts',
      default: './dist/verify.js',
    });
    // `prepare` builds (npm run build), which emits the verifier with its types.
    expect(pkg.scripts.build).toContain('tsconfig.verify.json');
    const types = readFileSync(join(root, 'dist/verify.d.ts'), 'utf8');
    for (const name of [
      'verifyInclusion',
      'verifyConsistency',
      'verifyCheckpoint',
      'verifyTimestampToken',
      'verifyReceiptTimestamp',
    ])
      expect(types).toContain(`export declare function ${name}(`);
    // One file with nothing to install: it imports Node's own modules only (RFC 3161 tokens included).
    const code = readFileSync(join(root, 'dist/verify.js'), 'utf8');
    const imported = [...code.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(imported).toEqual(['node:crypto']);
    expect(code).not.toMatch(/\brequire\(|\bimport\(/);
  });

  it('verifies a checkpoint, an inclusion proof and a consistency proof from plain Node', async () => {
    const tree = new MerkleTree();
    for (let i = 0; i < 11; i++) tree.append(leafHash(Buffer.from(`event ${i}`)));
    const key = generateSigningKey('example.org/ledger');
    const note = await createCheckpointSigner({ key, tree, last: lastCheckpointInMemory() }).sign(
      11,
      tree.root(),
    );
    const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
    const input = {
      note,
      verifierKey: key.verifierKey,
      leaf: hex(leafHash(Buffer.from('event 6'))),
      inclusion: tree.inclusionProof(6, 11).map(hex),
      root7: hex(tree.root(7)),
      consistency: tree.consistencyProof(7, 11).map(hex),
    };
    const script = `
      import { verifyCheckpoint, verifyConsistency, verifyInclusion } from 'compliance-ledger/verify';
      const input = JSON.parse(process.env.LEDGER_INPUT);
      const bytes = (hex) => Buffer.from(hex, 'hex');
      const { treeSize, rootHash } = verifyCheckpoint(input.note, input.verifierKey);
      const inclusion = input.inclusion.map(bytes);
      console.log(JSON.stringify({
        treeSize,
        loaders: process.execArgv.some((a) => /^--(import|loader|require|experimental)/.test(a)) || 'NODE_OPTIONS' in process.env,
        included: verifyInclusion(bytes(input.leaf), 6, treeSize, inclusion, rootHash),
        includedElsewhere: verifyInclusion(bytes(input.leaf), 5, treeSize, inclusion, rootHash),
        consistent: verifyConsistency(7, treeSize, input.consistency.map(bytes), bytes(input.root7), rootHash),
        forged: (() => {
          try { verifyCheckpoint(input.note.replace('\\n11\\n', '\\n12\\n'), input.verifierKey); return 'accepted'; }
          catch (error) { return error.name; }
        })(),
      }));
    `;
    expect(JSON.parse(plainNode(script, input))).toEqual({
      treeSize: 11,
      loaders: false,
      included: true,
      includedElsewhere: false,
      consistent: true,
      forged: 'CheckpointError',
    });
  });
});
