import { once } from 'node:events';
import { chmodSync, createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import { recordedEventProblem } from '../domain/index.ts';
import { RecordedEventSchema } from '../eventstore/envelope-schema.ts';
import type { EventStore, RecordedEvent } from '../eventstore/port.ts';
import { readLedger, verifyLedger } from '../integrity/verify-ledger.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { describeProblem } from './verify.ts';

/** Writes the raw ledger as NDJSON (one envelope per line) to a file (mode 0600) or stdout; returns the count. */
export async function exportLedger(store: EventStore, file?: string): Promise<number> {
  // The whole ledger: readable by its owner only, like the store file (an existing file too).
  const sink = file ? createWriteStream(file, { mode: 0o600 }) : process.stdout;
  if (file) {
    await once(sink, 'open');
    chmodSync(file, 0o600);
  }
  let count = 0;
  for await (const event of readLedger(store)) {
    if (!sink.write(`${JSON.stringify(event)}\n`)) await once(sink, 'drain');
    count++;
  }
  if (file) {
    sink.end();
    await finished(sink);
  }
  return count;
}

/**
 * Loads an export into an empty store. Every line is checked before anything is written: an
 * event the domain could not have recorded (its stream, type, data or record time) or an event
 * id seen before refuses the file, naming the first bad line. The file's chains are verified
 * before anything is written and the store after: a broken file or a non-empty target is refused. Positions in an
 * export are the source store's (sparse on esdb): the import renumbers them 1, 2, 3, ... in
 * file order and says whether that changed any. Hashes do not cover positions, so the chains
 * stay valid; the Merkle leaves do, so the source's signed checkpoints do not carry over.
 */
export async function importLedger(
  store: EventStore,
  file: string,
): Promise<{ events: number; streams: number; renumbered: boolean }> {
  if (!store.importRecorded)
    throw new CliError(
      EXIT.refused,
      'this store cannot import recorded events (use a sqlite:, postgres:// or memory: store)',
    );
  if ((await store.headPosition()) !== 0)
    throw new CliError(EXIT.refused, 'the target store is not empty; import only into a new store');
  const events: RecordedEvent[] = [];
  /** Each event id and the line that holds it. */
  const seen = new Map<string, number>();
  let line = 0;
  for await (const text of createInterface({
    input: createReadStream(file),
    crlfDelay: Number.POSITIVE_INFINITY,
  })) {
    line++;
    if (text.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new CliError(EXIT.refused, `${file}:${line}: not JSON`);
    }
    const envelope = RecordedEventSchema.safeParse(parsed);
    if (!envelope.success)
      throw new CliError(
        EXIT.refused,
        `${file}:${line}: not an event envelope: ${envelope.error.issues[0]?.path.join('.')} ${envelope.error.issues[0]?.message}`,
      );
    const event = envelope.data as RecordedEvent;
    const problem = recordedEventProblem(event);
    if (problem) throw new CliError(EXIT.refused, `${file}:${line}: ${problem}`);
    if (seen.has(event.eventId))
      throw new CliError(
        EXIT.refused,
        `${file}:${line}: event ${event.eventId} is already on line ${seen.get(event.eventId)}`,
      );
    seen.set(event.eventId, line);
    events.push(event);
  }
  // The target stamps in commit order, so recordedAt must not go back along the file either.
  const checked = await verifyLedger(events, { monotonicRecordedAt: true });
  if (!checked.ok)
    throw new CliError(EXIT.refused, `refusing ${file}: ${describeProblem(checked)}`);
  const renumbered = events.some((event, index) => event.position !== index + 1);
  await store.importRecorded(events.map((event, index) => ({ ...event, position: index + 1 })));
  const after = await verifyLedger(readLedger(store), {
    densePositions: true,
    monotonicRecordedAt: true,
  });
  if (!after.ok)
    throw new CliError(
      EXIT.integrity,
      `imported, but the store does not verify: ${describeProblem(after)}`,
    );
  return { events: after.events, streams: after.streams, renumbered };
}
