import { verifyStore } from '../composition/open-ledger.ts';
import type { EventStore } from '../eventstore/port.ts';
import type { LedgerReport } from '../integrity/verify-ledger.ts';
import { progress } from './progress.ts';

/** verifyStore (every check the store allows) with a progress bar. */
export async function verifyWithProgress(store: EventStore): Promise<LedgerReport> {
  const total = await store.headPosition();
  const bar = progress('verify', total);
  let seen = 0;
  try {
    return await verifyStore(store, () => {
      seen++;
      if (seen % 1000 === 0) bar.update(Math.min(seen, total));
    });
  } finally {
    bar.update(Math.min(seen, total));
    bar.stop();
  }
}

export function describeProblem(report: Extract<LedgerReport, { ok: false }>): string {
  const p = report.problem;
  return `ledger is not intact: first bad event at position ${p.position} in stream ${p.stream}${p.eventId ? ` (event ${p.eventId})` : ''}: ${p.kind}: ${p.message}`;
}
