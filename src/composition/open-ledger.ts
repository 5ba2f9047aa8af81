/**
 * The composition root: the one place that turns settings into a running ledger (store,
 * projections, queries, signed checkpoints), for the API and the CLI alike. It alone reads the
 * store URL for where side files go; everything below gets paths and keys handed in.
 */

import type { BackdatedFact } from '../../projections/backdating.ts';
import type { ShipmentViolation } from '../../projections/violations.ts';
import type { Config } from '../config.ts';
import type { RecordedEvent } from '../core/envelope.ts';
import type { AsKnownAt } from '../domain/windows.ts';
import { MEMORY_STORE_URL, openEventStore, sqlitePath } from '../eventstore/open.ts';
import type { EventStore } from '../eventstore/port.ts';
import { watchingWrites } from '../eventstore/write-health.ts';
import { type IntegrityAlarm, integrityAlarm } from '../integrity/alarm.ts';
import { generateSigningKey, loadOrCreateSigningKey } from '../integrity/checkpoint.ts';
import { lastSignedRecords } from '../integrity/last-signed-record.ts';
import {
  type LedgerCheckpoints,
  openLedgerCheckpoints,
  requiringHistory,
} from '../integrity/ledger-checkpoints.ts';
import {
  type LedgerReport,
  readLedger,
  verifyLedger,
  verifyOptionsFor,
} from '../integrity/verify-ledger.ts';
import { offLoopVerifier } from '../integrity/verify-off-loop.ts';
import { fileCheckpointStore } from '../projections/checkpoints.ts';
import {
  type LedgerQueries,
  ledgerProjections,
  ledgerQueries,
} from '../projections/ledger-queries.ts';
import { offLoopLists } from '../projections/lists-off-loop.ts';
import { existingReadModelKey, loadOrCreateReadModelKey } from '../projections/read-model-key.ts';
import { type ProjectionRuntime, startProjections } from '../projections/runtime.ts';
import { START_EXIT, StartupError } from '../startup.ts';

/** The settings a ledger is opened from: part of the service's Config. */
export type LedgerConfig = Pick<
  Config,
  'LEDGER_STORE' | 'LEDGER_CHECKPOINT_KEY' | 'LEDGER_ORIGIN'
> &
  Partial<Pick<Config, 'LEDGER_WITNESSES' | 'LEDGER_WITNESS_QUORUM' | 'LEDGER_WITNESS_TIMEOUT_MS'>>;

/** The store, its projections, the queries over them and its signed checkpoints. */
export interface Ledger {
  store: EventStore;
  projections: ProjectionRuntime;
  queries: LedgerQueries;
  /** Signed checkpoints of the store's Merkle tree; null when the store keeps none or read only. */
  checkpoints: LedgerCheckpoints | null;
  /**
   * Raised when the ledger does not extend what the server signed, or a sealed read model shows
   * it was rewritten: the service is then not ready and signs nothing (docs/design.md §7).
   */
  alarm: IntegrityAlarm;
  /**
   * verifyStore of this ledger's store; for a SQLite file opened to write (the server), in a worker
   * thread on a read-only connection of its own, so the checks never hold the event loop (the
   * other stores read asynchronously; a read-only ledger is the CLI's, which may block).
   */
  verify(): Promise<LedgerReport>;
  /** The whole-ledger lists as of the projections' position; off the event loop as verify is. */
  lists: {
    violations(asKnownAt?: AsKnownAt): Promise<ShipmentViolation[]>;
    backdating(thresholdDays: number, asKnownAt?: AsKnownAt): Promise<BackdatedFact[]>;
  };
  /** Stops the projections, then closes the store. */
  close(): Promise<void>;
}

export interface OpenOptions {
  /**
   * Save projection checkpoints after this many events, and on close (the server); without it
   * they are read but written only on close.
   */
  checkpointEvery?: number;
  /**
   * Read only (the CLI's reading commands): the store file opened without creating anything,
   * no key created, no checkpoint signed or saved. Projection checkpoints are used only when the
   * server's read-model key is readable here; else every read model is rebuilt from the events.
   */
  readOnly?: boolean;
  /**
   * Told of every projection checkpoint refused (then rebuilt), e.g. to log it. One that shows
   * this ledger was rewritten or cut raises the integrity alarm too.
   */
  onRefused?: (name: string, reason: string) => void;
  /** Told when a ledger gets its first record of a signed size beside the key, e.g. to log it. */
  onNewLedger?: (ledger: string, recordPath: string) => void;
  /** Told when a witness did not cosign a checkpoint, e.g. to log it. */
  onWitnessProblem?: (detail: string) => void;
}

export async function openLedger(config: LedgerConfig, options: OpenOptions = {}): Promise<Ledger> {
  const readOnly = options.readOnly === true;
  const opened = await openEventStore(config.LEDGER_STORE, { readOnly });
  const store = readOnly ? opened : watchingWrites(opened);
  try {
    const alarm = integrityAlarm();
    const checkpoints = readOnly
      ? null
      : checkpointsOf(store, config, {
          alarm,
          ...(options.onNewLedger ? { onNewLedger: options.onNewLedger } : {}),
          ...(options.onWitnessProblem ? { onWitnessProblem: options.onWitnessProblem } : {}),
        });
    const files = sideFilesOf(config.LEDGER_STORE);
    const key =
      files === null
        ? null
        : readOnly
          ? existingReadModelKey(config.LEDGER_CHECKPOINT_KEY)
          : loadOrCreateReadModelKey(config.LEDGER_CHECKPOINT_KEY);
    const projections = await startProjections(store, ledgerProjections, {
      ...(files === null || key === null
        ? {}
        : { checkpoints: { store: fileCheckpointStore(`${files}.projections`), key, readOnly } }),
      ...(options.checkpointEvery === undefined
        ? {}
        : { checkpointEvery: options.checkpointEvery }),
      onRefused: (name, reason, rewritten) => {
        options.onRefused?.(name, reason);
        if (rewritten)
          alarm.raise(
            `the read-model checkpoint ${name} was sealed by this server for this ledger, but ${reason}: the ledger was rewritten or cut`,
          );
      },
    });
    const verifier =
      readOnly || sqlitePath(config.LEDGER_STORE) === null
        ? null
        : offLoopVerifier(config.LEDGER_STORE);
    const lists = verifier === null ? null : offLoopLists(config.LEDGER_STORE);
    const queries = ledgerQueries(store, projections);
    return {
      store,
      projections,
      queries,
      checkpoints,
      alarm,
      verify: () => (verifier ? verifier.verify() : verifyStore(store)),
      lists: {
        violations: async (asKnownAt) =>
          lists ? lists.violations(projections.position, asKnownAt) : queries.violations(asKnownAt),
        backdating: async (thresholdDays, asKnownAt) =>
          lists
            ? lists.backdating(thresholdDays, projections.position, asKnownAt)
            : queries.backdating(thresholdDays, asKnownAt),
      },
      close: async () => {
        try {
          await lists?.close();
          await verifier?.close();
          await projections.close();
        } finally {
          await store.close();
        }
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/**
 * The store's signed checkpoints, signed under LEDGER_ORIGIN with the key in
 * LEDGER_CHECKPOINT_KEY (created on first use); a memory store's key lives as long as it does.
 * A first checkpoint of a tree with leaves is refused unless a new history is started
 * (requiringHistory); the last size signed is also recorded beside the key. Null for stores
 * that keep no Merkle tree.
 */
export function checkpointsOf(
  store: EventStore,
  config: LedgerConfig,
  options: {
    alarm?: IntegrityAlarm;
    onNewLedger?: (ledger: string, recordPath: string) => void;
    onWitnessProblem?: (detail: string) => void;
  } = {},
): LedgerCheckpoints | null {
  const witnesses = config.LEDGER_WITNESSES ?? [];
  const inMemory = config.LEDGER_STORE === MEMORY_STORE_URL;
  const checkpoints = openLedgerCheckpoints(store, {
    origin: config.LEDGER_ORIGIN,
    key: () =>
      inMemory
        ? generateSigningKey(config.LEDGER_ORIGIN)
        : loadOrCreateSigningKey(config.LEDGER_CHECKPOINT_KEY, config.LEDGER_ORIGIN),
    ...(options.alarm ? { alarm: options.alarm } : {}),
    witnessing: {
      witnesses,
      quorum: config.LEDGER_WITNESS_QUORUM ?? witnesses.length,
      timeoutMs: config.LEDGER_WITNESS_TIMEOUT_MS ?? 10_000,
    },
    ...(options.onWitnessProblem ? { onWitnessProblem: options.onWitnessProblem } : {}),
    // A key kept in memory signs for one process only: nothing outlives it to be contradicted.
    ...(inMemory
      ? {}
      : {
          record: (key) =>
            lastSignedRecords(config.LEDGER_CHECKPOINT_KEY, key, options.onNewLedger),
        }),
  });
  return checkpoints && requiringHistory(checkpoints);
}

/**
 * What the service checks before it takes requests (docs/design.md §7): every kept checkpoint
 * verifies with the key in LEDGER_CHECKPOINT_KEY, else it does not start (a one-line
 * StartupError, exit 78: a store of another key would answer 500 to every signature); then
 * whether the tree extends everything signed, which raises the alarm (the service starts, not
 * ready, so the operator can look) rather than stopping.
 */
export async function checkAtStart(ledger: Ledger, config: LedgerConfig): Promise<void> {
  const checkpoints = ledger.checkpoints;
  if (checkpoints === null) return;
  try {
    await checkpoints.all();
  } catch (error) {
    throw new StartupError(
      `LEDGER_CHECKPOINT_KEY ${config.LEDGER_CHECKPOINT_KEY}: ${(error as Error).message}: the store's checkpoints were signed with another key; start with the key folder they were signed with`,
      START_EXIT.config,
    );
  }
  await checkpoints.check();
}

/**
 * Every check the store allows, the same for `GET /v1/ledger/verify` and `ledger verify`: hash
 * chains always; dense positions and record times in commit order where the store advertises
 * dense positions. `tap` sees each event read (the CLI's progress bar).
 */
export function verifyStore(
  store: EventStore,
  tap?: (event: RecordedEvent) => void,
): Promise<LedgerReport> {
  return verifyLedger(tapped(readLedger(store), tap), verifyOptionsFor(store.capabilities));
}

/**
 * Where a store's side files (projection checkpoints) go: beside a SQLite file. Null for stores
 * without a file of their own.
 */
function sideFilesOf(storeUrl: string): string | null {
  return sqlitePath(storeUrl);
}

async function* tapped(
  events: AsyncIterable<RecordedEvent>,
  tap: ((event: RecordedEvent) => void) | undefined,
): AsyncGenerator<RecordedEvent> {
  for await (const event of events) {
    tap?.(event);
    yield event;
  }
}
