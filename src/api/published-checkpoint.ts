/**
 * The checkpoint a read cites (docs/design.md §7.4): the last one published. One rule for the
 * integrity, receipt and tile routes: 501 where the store keeps no tree or no signed notes; the
 * history-missing error where the ledger holds events but no checkpoint is kept at all; 404 while
 * none is published (none signed, or none cosigned by enough witnesses yet).
 */
import type { FastifyInstance } from 'fastify';
import {
  CheckpointHistoryMissingError,
  type KeptCheckpoint,
  type LedgerCheckpoints,
} from '../integrity/ledger-checkpoints.ts';
import { ProblemError } from './problems.ts';

/** The ledger's checkpoints; `feature` names what is unsupported without them. */
export function checkpointsOf(app: FastifyInstance, feature: string): LedgerCheckpoints {
  const checkpoints = app.ledger.checkpoints;
  if (checkpoints === null)
    throw new ProblemError(
      501,
      'integrity-unsupported',
      `${feature} not supported`,
      'this store keeps no Merkle tree or no signed-checkpoint log',
    );
  return checkpoints;
}

export async function lastPublishedOf(checkpoints: LedgerCheckpoints): Promise<KeptCheckpoint> {
  const last = await checkpoints.lastPublished();
  if (last !== undefined) return last;
  const treeSize = await checkpoints.tree.size();
  if ((await checkpoints.lastKept()) === undefined && treeSize > 0)
    throw new CheckpointHistoryMissingError(treeSize);
  throw new ProblemError(
    404,
    'unknown-checkpoint',
    'No such checkpoint',
    'no checkpoint is published yet: the service signs one at start and on its cadence, and it is published once enough witnesses cosigned it',
  );
}
