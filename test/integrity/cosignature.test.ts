/**
 * Cosignatures (cosignature/v1) and the witness's rule, as properties: whatever the checkpoint
 * and the time, a cosignature verifies with the witness's key and a changed bit never does; a
 * witness fed any sequence of checkpoints of one growing tree and of forks cosigns exactly the
 * ones that extend what it cosigned last.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryMerkleStorage, MerkleTree } from '../../src/core/merkle/tree.ts';
import { generateSigningKey, signNote } from '../../src/integrity/checkpoint.ts';
import { cosign, witnessVerifierKey } from '../../src/integrity/cosignature.ts';
import { ledgerWitness } from '../../src/integrity/witness.ts';
import { addCheckpointBody } from '../../src/integrity/witnesses.ts';
import {
  CheckpointError,
  cosignersOf,
  leafHashOf,
  parseWitnessKey,
  parseWitnessPolicy,
} from '../../src/verify.ts';

const folder = mkdtempSync(join(tmpdir(), 'ledger-cosignature-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const witnessKey = generateSigningKey('witness.example/w1');
const logKey = generateSigningKey('log.example/ledger');
const witness = parseWitnessKey(witnessVerifierKey(witnessKey));
const body = (size: number, root: Uint8Array) =>
  `log.example/ledger\n${size}\n${Buffer.from(root).toString('base64')}\n`;

describe('cosignature/v1', () => {
  it('verifies for any checkpoint and time, and not once a bit changes', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 2 ** 40 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.nat(),
        (size, root, seconds, bit) => {
          const note = signNote(body(size, root), logKey);
          const line = cosign(body(size, root), witnessKey, new Date(seconds * 1000));
          expect(cosignersOf(note + line, [witness])).toEqual([
            { name: 'witness.example/w1', timestamp: seconds },
          ]);
          const [dash, name, base64] = line.trim().split(' ') as [string, string, string];
          const bytes = Buffer.from(base64, 'base64');
          const at = 4 + (bit % (bytes.length - 4)); // past the key ID, which only routes
          bytes[at] = (bytes[at] as number) ^ (1 << (bit % 8));
          const changed = `${dash} ${name} ${bytes.toString('base64')}\n`;
          expect(() => cosignersOf(note + changed, [witness])).toThrow(CheckpointError);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('reads a policy file and refuses a quorum above its witnesses', () => {
    const vkey = witnessVerifierKey(witnessKey);
    expect(parseWitnessPolicy(`# ours\nlog ${logKey.verifierKey}\nwitness ${vkey}\n`)).toEqual({
      log: logKey.verifierKey,
      witnesses: [vkey],
      quorum: 1,
    });
    expect(() =>
      parseWitnessPolicy(`log ${logKey.verifierKey}\nwitness ${vkey}\nquorum 2`),
    ).toThrow(/quorum 2 is more than the 1 witnesses/);
    expect(() => parseWitnessPolicy(`witness ${logKey.verifierKey}`)).toThrow(
      /not a cosignature\/v1 key/,
    );
  });
});

describe('the witness', () => {
  it('cosigns exactly the checkpoints that extend the last one it cosigned', () => {
    let run = 0;
    fc.assert(
      fc.property(
        fc.array(fc.record({ grow: fc.nat({ max: 9 }), fork: fc.boolean() }), { maxLength: 12 }),
        (steps) => {
          const w = ledgerWitness({
            key: witnessKey,
            logs: [logKey.verifierKey],
            stateDir: join(folder, `run-${run++}`),
          });
          const tree = new MerkleTree(new MemoryMerkleStorage());
          let cosigned = 0;
          for (const [i, { grow, fork }] of steps.entries()) {
            for (let j = 0; j < grow; j++) tree.append(leafHashOf(Buffer.from(`${i}.${j}`)));
            const size = tree.size;
            // From size 0 any tree is consistent (tlog-witness), so a first view is taken on
            // trust: a fork is another root once something was cosigned, or at size 0 itself.
            const forked = fork && (cosigned > 0 || size === 0);
            const root = forked ? leafHashOf(Buffer.from(`fork ${i}`)) : tree.root();
            const proof = cosigned === 0 ? [] : tree.consistencyProof(cosigned, size);
            const note = signNote(body(size, root), logKey);
            const reply = w.addCheckpoint(addCheckpointBody(note, cosigned, proof));
            if (forked) expect(reply.status).toBe(422);
            else {
              expect(reply.status, reply.body).toBe(200);
              expect(cosignersOf(note + reply.body, [witness])).toHaveLength(1);
              cosigned = size;
            }
            // A request from a stale size always gets the size cosigned last.
            if (cosigned > 0) {
              const stale = w.addCheckpoint(addCheckpointBody(note, cosigned - 1, []));
              expect(stale).toMatchObject({ status: 409, body: `${cosigned}\n` });
            }
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});
