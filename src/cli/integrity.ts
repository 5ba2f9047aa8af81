/** What `ledger checkpoint`, `ledger proof` and `ledger audit` read: a store or a server. */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointsOf as ledgerCheckpointsOf } from '../composition/open-ledger.ts';
import type { EventStore, RecordedEvent } from '../eventstore/port.ts';
import { KEY_FILES } from '../integrity/checkpoint.ts';
import type { KeptCheckpoint, LedgerCheckpoints } from '../integrity/ledger-checkpoints.ts';
import { readLedger } from '../integrity/verify-ledger.ts';
import {
  CheckpointError,
  parseWitnessPolicy,
  type VerifiedCheckpoint,
  verifyCheckpoint,
  type WitnessPolicy,
} from '../verify.ts';
import { type AuditedLedger, AuditFailure } from './audit.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { cliConfig } from './store-option.ts';

/**
 * The store's checkpoints, signed with the key in `keyDir` under the server's origin
 * (LEDGER_ORIGIN): for `ledger checkpoint`, the one command that signs.
 */
export function checkpointsOf(store: EventStore, url: string, keyDir: string): LedgerCheckpoints {
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

/**
 * For a command that fills a ledger (`seed-example`, `import`): `fill` runs inside the ledger's
 * checkpoint history. A ledger with no events begins its history first (the checkpoint of the
 * empty tree, as the server's first start would sign), and the filled tree is signed after, so
 * the server finds a history to sign on from. A ledger that already has events keeps its history
 * as it is; a store that keeps no Merkle tree (esdb) has none to begin.
 */
export async function fillingWithinHistory<T>(
  store: EventStore,
  url: string,
  keyDir: string,
  fill: () => Promise<T>,
): Promise<T> {
  if (!store.merkle || !store.signedCheckpoints) return fill();
  const checkpoints = checkpointsOf(store, url, keyDir);
  const begins = (await checkpoints.tree.size()) === 0;
  if (begins) await checkpoints.latest();
  const filled = await fill();
  if (begins || (await checkpoints.lastKept()) !== undefined) await checkpoints.latest();
  return filled;
}

/** What read-only commands use of the checkpoints: the kept ones, never a new one. */
export type KeptCheckpoints = Pick<LedgerCheckpoints, 'tree' | 'latest' | 'ofSize' | 'all'>;

/**
 * The checkpoints the server signed and kept beside a store file, each checked with the public
 * key alone: nothing is signed, created or written. `latest()` is the last one kept, which may
 * be older than the tree (the server signs on its own cadence).
 */
export function keptCheckpointsOf(store: EventStore, publicKey: string): KeptCheckpoints {
  const { merkle: tree, signedCheckpoints: log } = store;
  if (!tree || !log)
    throw new CliError(
      EXIT.refused,
      'this store keeps no Merkle tree or no signed checkpoints (esdb): proofs and audits of a store need a sqlite: one',
    );
  const kept: KeptCheckpoint[] = [];
  const all = async () => {
    const notes = await log.notes(kept.length);
    // Witnesses' cosignatures go with their notes; a policy check (audit --policy) counts them.
    const cosignatures = notes.length === 0 ? [] : await log.cosignatures();
    for (const note of notes) {
      let checkpoint: VerifiedCheckpoint;
      try {
        checkpoint = verifyCheckpoint(note, publicKey);
      } catch (error) {
        throw new AuditFailure(
          `kept checkpoint ${kept.length + 1} does not verify: ${(error as Error).message}`,
        );
      }
      const lines = cosignatures.filter((c) => c.treeSize === checkpoint.treeSize);
      kept.push({ ...checkpoint, note: note + lines.map((c) => c.line).join(''), cosigners: [] });
    }
    return kept;
  };
  return {
    tree,
    all,
    async latest() {
      const last = (await all()).at(-1);
      if (last === undefined)
        throw new CliError(
          EXIT.notFound,
          'no signed checkpoint is kept with this ledger: the server signs one (GET /v1/ledger/checkpoint), or `compliance-ledger checkpoint` with its key',
        );
      return last;
    },
    ofSize: async (treeSize) => (await all()).find((c) => c.treeSize === treeSize),
  };
}

/**
 * The verifier key an auditor gives (`--public-key`: the .vkey or the PEM), else the one the
 * server keeps in its key folder; never a private key.
 */
export function publicKeyOf(file: string | undefined, keyDir: string): string {
  const path = file ?? join(keyDir, KEY_FILES.verifierKey);
  if (file === undefined && !existsSync(path))
    throw new CliError(
      EXIT.usage,
      `no public key: give --public-key FILE (the server's ${KEY_FILES.verifierKey} or ${KEY_FILES.publicKey}), or --key-dir holding it`,
    );
  return readTrusted(path, file === undefined ? '--key-dir' : '--public-key').trim();
}

/** The witness policy file: unreadable or malformed is exit 7, like any file the auditor trusts. */
export function policyOf(path: string): WitnessPolicy {
  try {
    return parseWitnessPolicy(readTrusted(path, '--policy'));
  } catch (error) {
    if (!(error instanceof CheckpointError)) throw error;
    throw new CliError(EXIT.trustedFile, `--policy: ${path}: ${error.message}`);
  }
}

/** A file the auditor trusts (checkpoint, key, receipt): unreadable is exit 7, never tampering. */
export function readTrusted(path: string, option: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(
      EXIT.trustedFile,
      `${option}: cannot read ${path}: ${(error as Error).message}`,
    );
  }
}

/** The audit's view of a store file: its checkpoints, its tree and its events. */
export function storeLedger(store: EventStore, checkpoints: KeptCheckpoints): AuditedLedger {
  return {
    consistency: async (fromSize) => {
      const latest = await checkpoints.latest();
      const treeSize = await checkpoints.tree.size();
      if (latest.treeSize > treeSize)
        throw new AuditFailure(
          `the ledger holds ${treeSize} events, fewer than the ${latest.treeSize} of the last checkpoint it keeps: events were removed`,
        );
      // Proofs come from the stored tree: it must give the signed root, or they mean nothing.
      if (!Buffer.from(await checkpoints.tree.root(latest.treeSize)).equals(latest.rootHash))
        throw new AuditFailure(
          `the stored Merkle tree gives another root for tree size ${latest.treeSize} than the signed checkpoint: it was rewritten`,
        );
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
export function serverLedger(baseUrl: string, apiKey: string): AuditedLedger & { get: ServerGet } {
  const base = baseUrl.replace(/\/+$/, '');
  async function get(path: string, options: { absent?: 'null' } = {}): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' },
      });
    } catch (error) {
      throw new CliError(EXIT.failure, `cannot reach ${base}: ${(error as Error).message}`);
    }
    const body: unknown = await response.json().catch(() => undefined);
    if (response.status === 404 && options.absent === 'null') return null;
    if (!response.ok) {
      const detail = (body as { detail?: unknown } | undefined)?.detail;
      const answered = `GET ${path} answered ${response.status}${typeof detail === 'string' ? `: ${detail}` : ''}`;
      // Only an answer about the ledger itself can be evidence of tampering.
      if (response.status === 401 || response.status === 403)
        throw new CliError(EXIT.credentials, `the server refused the API key: ${answered}`);
      if (response.status === 429 || response.status >= 500)
        throw new CliError(EXIT.failure, answered);
      throw new AuditFailure(answered);
    }
    return body;
  }
  return {
    get,
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

/** A JSON GET of the audited server; refusals of the key are exit 6, its outages exit 5. */
export type ServerGet = (path: string, options?: { absent?: 'null' }) => Promise<unknown>;

/** Replaces `path` with `text` at once (temporary file, then rename): never half written. */
export function replaceFile(path: string, text: string): void {
  const temporary = `${path}.${randomUUID()}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}
