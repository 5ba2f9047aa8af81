import type { EventStore, RecordedEvent } from '../eventstore/port.ts';
import { type LedgerReport, readLedger, verifyLedger } from '../integrity/verify-ledger.ts';
import { progress } from './progress.ts';

/** Checks every hash chain of the store with a progress bar. */
export async function verifyStore(store: EventStore, dense: boolean): Promise<LedgerReport> {
  const total = await store.headPosition();
  const bar = progress('verify', total);
  let seen = 0;
  async function* tapped(): AsyncGenerator<RecordedEvent> {
    for await (const event of readLedger(store)) {
      seen++;
      if (seen % 1000 === 0) bar.update(Math.min(seen, total));
      yield event;
    }
  }
  try {
    return await verifyLedger(tapped(), { densePositions: dense, monotonicRecordedAt: dense });
  } finally {
    bar.update(Math.min(seen, total));
    bar.stop();
  }
}

export function describeProblem(report: Extract<LedgerReport, { ok: false }>): string {
  const p = report.problem;
  return `ledger is not intact: first bad event at position ${p.position} in stream ${p.stream}${p.eventId ? ` (event ${p.eventId})` : ''}: ${p.kind}: ${p.message}`;
}
