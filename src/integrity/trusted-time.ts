/**
 * Trusted time for published checkpoints (docs/design.md "Trusted time"): the last checkpoint
 * published (§7.4: the newest the witnesses' quorum cosigned, or the newest kept where no
 * witness is configured), which is the one receipts cite, gets an RFC 3161 token from the configured authority, verified, then kept in the store
 * beside it. An authority that is down never holds up writes or signing: the checkpoint stays
 * published without a token, which is reported, and the token is asked for again at the next
 * tick of the signing cadence.
 */
import { checkpointText } from '../verify.ts';
import type { KeptCheckpoint, LedgerCheckpoints } from './ledger-checkpoints.ts';
import { requestTimestamp, type TimestampAuthority } from './timestamp-authority.ts';

export type StampOutcome =
  | { stamped: 'now'; checkpoint: KeptCheckpoint; genTime: string }
  | { stamped: 'already' | 'nothing-to-stamp' }
  | { stamped: 'failed'; checkpoint: KeptCheckpoint; reason: string };

/** Timestamps the last checkpoint published unless it has its token already. Never throws. */
export async function stampLastCheckpoint(
  checkpoints: Pick<LedgerCheckpoints, 'lastPublished' | 'timestampOf' | 'keepTimestamp'>,
  authority: TimestampAuthority,
): Promise<StampOutcome> {
  const checkpoint = await checkpoints.lastPublished().catch(() => undefined);
  if (checkpoint === undefined) return { stamped: 'nothing-to-stamp' };
  try {
    if ((await checkpoints.timestampOf(checkpoint)) !== undefined) return { stamped: 'already' };
    const timestamp = await requestTimestamp(authority, checkpointText(checkpoint));
    await checkpoints.keepTimestamp(checkpoint, timestamp.token);
    return { stamped: 'now', checkpoint, genTime: timestamp.genTime };
  } catch (error) {
    return { stamped: 'failed', checkpoint, reason: (error as Error).message };
  }
}
