/**
 * The record of the last size signed, beside the key (docs/design.md §7): 0600, a signed note
 * naming its ledger, refused when changed; and the invariant it serves, as a property: whatever
 * an insider does to the store between signatures (roll it back to a prefix, drop kept
 * checkpoints, rewrite an event), no tree size is ever signed with two roots.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { hashEvent } from '../../src/core/event-hash.ts';
import { MerkleForkError } from '../../src/eventstore/errors.ts';
import { openMemoryEventStore } from '../../src/eventstore/memory.ts';
import type { EventStore, RecordedEvent } from '../../src/eventstore/port.ts';
import { integrityAlarm } from '../../src/integrity/alarm.ts';
import { generateSigningKey, loadOrCreateSigningKey } from '../../src/integrity/checkpoint.ts';
import {
  LAST_SIGNED_HEADER,
  lastSignedFileName,
  lastSignedRecords,
} from '../../src/integrity/last-signed-record.ts';
import { openLedgerCheckpoints } from '../../src/integrity/ledger-checkpoints.ts';
import { verifyCheckpoint, verifyNote } from '../../src/verify.ts';
import { anEvent } from '../eventstore/contract.ts';

const ORIGIN = 'ledger.example/one-history';
const folders: string[] = [];
function tempFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'ledger-record-'));
  folders.push(folder);
  return folder;
}
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

const LEDGER = 'ab'.repeat(32);
const root = (byte: number) => new Uint8Array(32).fill(byte);

describe('the record of the last size signed', () => {
  it('is a 0600 signed note naming its ledger, size and root, that the key verifies', () => {
    const folder = tempFolder();
    const key = loadOrCreateSigningKey(folder, ORIGIN);
    const started: string[] = [];
    const records = lastSignedRecords(folder, key, (ledger) => started.push(ledger));
    expect(records.load(LEDGER)).toBeUndefined();
    records.save({ ledger: LEDGER, treeSize: 7, rootHash: root(7) });
    const path = join(folder, lastSignedFileName(LEDGER));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(verifyNote(readFileSync(path, 'utf8'), key.verifierKey)).toBe(
      `${LAST_SIGNED_HEADER}\nledger ${LEDGER}\n7\n${Buffer.from(root(7)).toString('base64')}\n`,
    );
    expect(records.load(LEDGER)).toEqual({
      ledger: LEDGER,
      treeSize: 7,
      rootHash: Buffer.from(root(7)),
    });
    // A smaller size never replaces a larger one; a new ledger is told once.
    records.save({ ledger: LEDGER, treeSize: 5, rootHash: root(5) });
    expect(records.load(LEDGER)?.treeSize).toBe(7);
    expect(started).toEqual([LEDGER]);
  });

  it('changed by a byte, or written with another key, it is refused', () => {
    const folder = tempFolder();
    const key = loadOrCreateSigningKey(folder, ORIGIN);
    const records = lastSignedRecords(folder, key);
    records.save({ ledger: LEDGER, treeSize: 7, rootHash: root(7) });
    const path = join(folder, lastSignedFileName(LEDGER));
    const note = readFileSync(path, 'utf8');
    writeFileSync(path, note.replace('\n7\n', '\n3\n'));
    expect(() => records.load(LEDGER)).toThrow(/does not verify with the signing key/);
    writeFileSync(path, note);
    expect(() => lastSignedRecords(folder, generateSigningKey(ORIGIN)).load(LEDGER)).toThrow(
      /does not verify/,
    );
  });
});

/** What an insider may do to the stopped store before the server signs again. */
type Step =
  | { kind: 'append'; events: number }
  | { kind: 'sign' }
  | { kind: 'rollback'; to: number; keepNotes: number }
  | { kind: 'rewrite'; at: number; keepNotes: number };

const steps: fc.Arbitrary<Step[]> = fc.array(
  fc.oneof<fc.Arbitrary<Step>[]>(
    fc.record({ kind: fc.constant('append' as const), events: fc.integer({ min: 1, max: 3 }) }),
    fc.constant({ kind: 'sign' as const }),
    fc.record({ kind: fc.constant('rollback' as const), to: fc.nat(), keepNotes: fc.nat() }),
    fc.record({ kind: fc.constant('rewrite' as const), at: fc.nat(), keepNotes: fc.nat() }),
  ),
  { maxLength: 14 },
);

/** A memory store holding `events` (resealed where changed) and the first `notes`. */
async function storeOf(events: RecordedEvent[], notes: readonly string[]): Promise<EventStore> {
  const store = openMemoryEventStore();
  await store.importRecorded?.(events);
  for (const note of notes) await store.signedCheckpoints?.append(note);
  return store;
}

function rewrite(events: RecordedEvent[], at: number): RecordedEvent[] {
  return events.map((event, i) => {
    if (i !== at) return event;
    const data = { changed: true };
    const hash = hashEvent({ ...event, data });
    return { ...event, data, metadata: { ...event.metadata, hash } };
  });
}

describe('one history (property)', () => {
  it('no tree size is ever signed with two roots, whatever is done to the store', async () => {
    await fc.assert(
      fc.asyncProperty(steps, async (plan) => {
        const folder = tempFolder();
        const key = loadOrCreateSigningKey(folder, ORIGIN);
        const alarm = integrityAlarm();
        const open = (store: EventStore) =>
          openLedgerCheckpoints(store, {
            key: () => key,
            origin: ORIGIN,
            alarm,
            record: (k) => lastSignedRecords(folder, k),
          });
        let store = openMemoryEventStore();
        let checkpoints = open(store);
        const roots = new Map<number, Set<string>>();
        let streams = 0;
        for (const step of plan) {
          if (step.kind === 'append') {
            for (let i = 0; i < step.events; i++)
              await store.append(`s-${streams++}`, [anEvent()], { expectedRevision: 'no-stream' });
            continue;
          }
          if (step.kind === 'sign') {
            try {
              const note = (await checkpoints?.latest())?.note as string;
              const signed = verifyCheckpoint(note, key.verifierKey);
              const set = roots.get(signed.treeSize) ?? new Set<string>();
              set.add(Buffer.from(signed.rootHash).toString('hex'));
              roots.set(signed.treeSize, set);
            } catch (error) {
              if (!(error instanceof MerkleForkError)) throw error;
              expect(alarm.raised).not.toBeNull();
            }
            continue;
          }
          const events = await store.readAll({ fromPosition: 1, limit: 10_000 });
          const notes = (await store.signedCheckpoints?.notes()) ?? [];
          // The first entry stays: a ledger with another first entry is another ledger.
          const kept = notes.slice(0, 1 + (step.keepNotes % Math.max(1, notes.length)));
          const changed =
            step.kind === 'rollback'
              ? events.slice(0, Math.min(events.length, 1 + (step.to % Math.max(1, events.length))))
              : rewrite(
                  events,
                  events.length < 2 ? events.length : 1 + (step.at % (events.length - 1)),
                );
          store = await storeOf(changed, kept);
          checkpoints = open(store);
          await checkpoints?.check();
        }
        for (const [size, set] of roots) expect(set.size, `tree size ${size}`).toBe(1);
      }),
      { numRuns: 60 },
    );
  });
});
