/** What `ledger checkpoint`, `ledger proof` and `ledger audit` read: a store or a server. */
import { randomUUID } from 'node:crypto';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointsOf as ledgerCheckpointsOf } from '../composition/open-ledger.ts';
import type { EventStore, RecordedEvent } from '../eventstore/port.ts';
import { InconsistentCheckpointError, KEY_FILES } from '../integrity/checkpoint.ts';
import type { KeptCheckpoint, LedgerCheckpoints } from '../integrity/ledger-checkpoints.ts';
import { readLedger } from '../integrity/verify-ledger.ts';
import { type AuditedLedger, AuditFailure } from './audit.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { cliConfig } from './open-ledger.ts';

/**
 * The store's checkpoints, signed with the key in `keyDir` under the server's origin
 * (LEDGER_ORIGIN). With `existingKey`, a missing key is an error rather than a new key.
 */
export function checkpointsOf(
  store: EventStore,
  url: string,
  keyDir: string,
  options: { existingKey?: boolean } = {},
): LedgerCheckpoints {
  if (
    options.existingKey &&
    url.startsWith('sqlite:') &&
    !existsSync(join(keyDir, KEY_FILES.privateKey))
  )
    throw new CliError(
      EXIT.failure,
      `no checkpoint key in ${keyDir}: give the folder the server signs with (--key-dir or LEDGER_CHECKPOINT_KEY)`,
    );
  const checkpoints = ledgerCheckpointsOf(store, {
    ...cliConfig(),
    LEDGER_STORE: url,
    LEDGER_CHECKPOINT_KEY: keyDir,
  });
  if (checkpoints === null)
    throw new CliError(
      EXIT.refused,
      'this store keeps no Merkle tree or no signed-checkpoint log: checkpoints, proofs and audits need one',
    );
  return checkpoints;
}

/** The audit's view of a store file: its checkpoints, its tree and its events. */
export function storeLedger(store: EventStore, checkpoints: LedgerCheckpoints): AuditedLedger {
  return {
    consistency: async (fromSize) => {
      let latest: KeptCheckpoint;
      try {
        latest = await checkpoints.latest();
      } catch (error) {
        if (error instanceof InconsistentCheckpointError)
          throw new AuditFailure(`no new checkpoint: ${error.message}`);
        throw error;
      }
      // A shrunken ledger has no proof; the audit names it from the sizes.
      if (fromSize > latest.treeSize) return { note: latest.note, proof: [] };
      return {
        note: latest.note,
        proof: await checkpoints.tree.consistencyProof(fromSize, latest.treeSize),
      };
    },
    events: () => readLedger(store),
    storedTree: checkpoints.tree,
  };
}

/**
 * The audit's view of a server: the latest checkpoint and the consistency proof in one request,
 * then every event through GET /v1/events, from which the audit recomputes the root (one pass,
 * cheaper than an inclusion proof per event).
 */
export function serverLedger(baseUrl: string, apiKey: string): AuditedLedger {
  const base = baseUrl.replace(/\/+$/, '');
  async function get(path: string): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' },
      });
    } catch (error) {
      throw new CliError(EXIT.failure, `cannot reach ${base}: ${(error as Error).message}`);
    }
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const detail = (body as { detail?: unknown } | undefined)?.detail;
      throw new AuditFailure(
        `GET ${path} answered ${response.status}${typeof detail === 'string' ? `: ${detail}` : ''}`,
      );
    }
    return body;
  }
  return {
    async consistency(fromSize) {
      const body = (await get(`/v1/ledger/proofs/consistency?from=${fromSize}`)) as {
        to?: { note?: unknown };
        proof?: unknown;
      };
      const { to, proof } = body;
      if (
        typeof to?.note !== 'string' ||
        !Array.isArray(proof) ||
        !proof.every((p) => typeof p === 'string' && /^[0-9a-f]{64}$/.test(p))
      )
        throw new AuditFailure('the consistency proof answer is malformed');
      return { note: to.note, proof: proof.map((p: string) => Buffer.from(p, 'hex')) };
    },
    async *events() {
      for (let from: number | null = 1; from !== null; ) {
        const page = (await get(`/v1/events?fromPosition=${from}&limit=1000`)) as {
          events: RecordedEvent[];
          nextPosition: number | null;
        };
        yield* page.events;
        from = page.nextPosition;
      }
    },
  };
}

/** Replaces `path` with `text` at once (temporary file, then rename): never half written. */
export function replaceFile(path: string, text: string): void {
  const temporary = `${path}.${randomUUID()}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}
