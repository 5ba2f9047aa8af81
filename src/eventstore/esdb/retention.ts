/**
 * Ledger streams must keep their whole history, so none may carry stream metadata that makes
 * the server hide or scavenge events: $tb (truncate before, also what a soft delete writes),
 * $maxAge or $maxCount. Each stream the Merkle follower meets is checked once (so every stream
 * is checked at start, when the tree is rebuilt from $all); a stream with such metadata raises
 * the retention alarm: logged, counted, and the store reported not ready.
 */
import type { EsdbClient } from './client.ts';
import { esdbMetrics } from './metrics.ts';

export interface RetentionWatch {
  /** Checks `stream` unless already checked. */
  seen(stream: string): void;
  /** One line per stream found with retention metadata. */
  readonly alarms: readonly string[];
  /** Resolves when every check asked for so far is done. */
  settled(): Promise<void>;
}

export function retentionWatch(
  client: EsdbClient,
  onAlarm: (detail: string) => void,
): RetentionWatch {
  const checked = new Set<string>();
  const alarms: string[] = [];
  let queue: Promise<void> = Promise.resolve();

  async function check(stream: string): Promise<void> {
    const { metadata } = await client.getStreamMetadata(stream);
    const rules = (['truncateBefore', 'maxAge', 'maxCount'] as const).filter(
      (rule) => metadata?.[rule] !== undefined,
    );
    if (rules.length === 0) return;
    const detail = `ledger stream ${stream} has ${rules.map((r) => `${r}=${metadata?.[r]}`).join(', ')}: the server hides or scavenges its history`;
    alarms.push(detail);
    esdbMetrics.retentionAlarm.set(1);
    onAlarm(detail);
  }

  return {
    seen(stream) {
      if (checked.has(stream)) return;
      checked.add(stream);
      queue = queue.then(() =>
        check(stream).catch(() => {
          // A failed check is asked again when the stream is next met.
          checked.delete(stream);
        }),
      );
    },
    get alarms() {
      return alarms;
    },
    settled: () => queue.then(() => undefined),
  };
}
