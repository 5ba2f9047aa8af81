/**
 * The service's signing cadence (docs/design.md §7): a checkpoint at start (the first of a new
 * ledger, or one of a tree that grew while the service was down), then one every interval when
 * the tree grew. Readers are answered the last one kept, so reading never signs nor fsyncs.
 */
import type { LedgerCheckpoints } from './ledger-checkpoints.ts';

export interface CheckpointCadence {
  /** No tick after this; resolves once a signature in flight is done, so the store may close. */
  stop(): Promise<void>;
}

/**
 * Signs now, then every `intervalMs` (0: only now, and when an admin asks). A failed signature
 * is handed to `onError` and tried again at the next tick; it never stops the service.
 */
export async function startCheckpointCadence(
  checkpoints: Pick<LedgerCheckpoints, 'latest'>,
  intervalMs: number,
  onError: (error: unknown) => void,
): Promise<CheckpointCadence> {
  let signing: Promise<void> | null = null;
  const sign = () => {
    signing = checkpoints
      .latest()
      .then(() => {}, onError)
      .finally(() => {
        signing = null;
      });
    return signing;
  };
  await sign();
  const timer =
    intervalMs === 0
      ? undefined
      : setInterval(() => {
          // A slow store skips a tick rather than pile signatures up.
          if (signing === null) void sign();
        }, intervalMs);
  timer?.unref();
  return {
    async stop() {
      clearInterval(timer);
      await signing;
    },
  };
}
