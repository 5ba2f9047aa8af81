import type { ProjectionDefinition } from '../../projections/definition.ts';
import { DEFAULT_RETRY, type FollowState, followLedger } from '../eventstore/follow.ts';
import type { EventStore, RecordedEvent } from '../eventstore/port.ts';
import { ledgerPages } from '../integrity/verify-ledger.ts';
import {
  type CheckpointStore,
  type LedgerAt,
  openCheckpoint,
  sealCheckpoint,
} from './checkpoints.ts';

/**
 * Runs projections over the store: loads each projection's checkpoint when its version and
 * ledger still match (else rebuilds it from position 0), catches up, then follows the live
 * subscription. `waitFor(position)` lets a caller read its own write.
 */
export interface ProjectionRuntime {
  /** The last position applied to every projection. */
  readonly position: number;
  /** The projection's current state; read it, never change it. */
  state<S>(definition: ProjectionDefinition<S>): S;
  waitFor(position: number, timeoutMs?: number): Promise<void>;
  /** Saves every projection's checkpoint (when a checkpoint store was given). */
  checkpoint(): Promise<void>;
  /** Whether the store subscription is up; while it is down the runtime keeps resubscribing. */
  readonly following: FollowState;
  /** How each projection started: from a checkpoint or rebuilt (and why, when one was refused). */
  readonly startedFrom: ReadonlyMap<string, StartedFrom>;
  close(): Promise<void>;
}

export class ProjectionWaitTimeoutError extends Error {
  override readonly name = 'ProjectionWaitTimeoutError';
  /** The API's answer (api/plugins/errors.ts reads these; nothing there names this class). */
  readonly problemStatus = 503;
  readonly problemType = 'projections-behind';
  readonly problemTitle = 'Read models are behind';
}

export interface StartedFrom {
  rebuilt: boolean;
  position: number;
  /** Why the saved checkpoint was refused; absent when there was none or it was used. */
  refused?: string;
}

interface Running {
  definition: ProjectionDefinition<unknown>;
  state: unknown;
  position: number;
}

export interface StartOptions {
  /** Where checkpoints are kept, and the key that seals them; without it every start rebuilds. */
  checkpoints?: {
    store: CheckpointStore;
    key: Uint8Array;
    /** Load checkpoints but never write them (a read-only command). */
    readOnly?: boolean;
  };
  /** Saves checkpoints after this many applied events, and on close. */
  checkpointEvery?: number;
  /** Delays between resubscriptions after a failure: doubling, capped. */
  retry?: { baseDelayMs: number; maxDelayMs: number };
  /**
   * Told of every checkpoint refused, before its projection is rebuilt from the events;
   * `rewritten` when the refusal is evidence that this ledger was rewritten or cut.
   */
  onRefused?: (name: string, reason: string, rewritten: boolean) => void;
}

export async function startProjections(
  store: EventStore,
  definitions: readonly ProjectionDefinition<unknown>[],
  options: StartOptions = {},
): Promise<ProjectionRuntime> {
  const head = await store.headPosition();
  const running: Running[] = [];
  const startedFrom = new Map<string, StartedFrom>();
  const ledgerAt = ledgerAtOf(store);
  for (const d of definitions) {
    const restored = await restore(d, head, ledgerAt, options);
    if ('refused' in restored) {
      options.onRefused?.(d.name, restored.refused, restored.rewritten === true);
      running.push({ definition: d, state: d.initialState(), position: 0 });
      startedFrom.set(d.name, { rebuilt: true, position: 0, refused: restored.refused });
    } else if (restored.state === undefined) {
      running.push({ definition: d, state: d.initialState(), position: 0 });
      startedFrom.set(d.name, { rebuilt: true, position: 0 });
    } else {
      running.push({ definition: d, state: restored.state, position: restored.position });
      startedFrom.set(d.name, { rebuilt: false, position: restored.position });
    }
  }
  let position = Math.min(head, ...running.map((r) => r.position));
  let sinceCheckpoint = 0;
  const waiters = new Set<{ position: number; resolve: () => void }>();

  /** Applies one event; a promise only when it saves checkpoints. */
  function apply(event: RecordedEvent): Promise<void> | undefined {
    for (const r of running) {
      if (event.position <= r.position) continue;
      r.state = r.definition.apply(r.state, event);
      r.position = event.position;
    }
    position = event.position;
    sinceCheckpoint++;
    if (waiters.size > 0) settle();
    if (options.checkpointEvery && sinceCheckpoint >= options.checkpointEvery) return checkpoint();
    return undefined;
  }

  // Up to the head a page at a time, without a subscription's promise per event; whatever
  // fails here is left to the follower below, which resumes after the last event applied.
  try {
    for await (const page of ledgerPages(store, position + 1))
      for (const event of page) {
        const saving = apply(event);
        if (saving) await saving;
      }
  } catch {
    // The follower reads again from `position + 1` and reports the store down while it fails.
  }

  // A failed subscription is resumed for ever; meanwhile `following` says it is down. Waiters
  // keep waiting (until their timeout): a committed command is never answered as failed.
  const follower = followLedger(store, {
    fromPosition: position + 1,
    retry: options.retry ?? DEFAULT_RETRY,
    onEvent: apply,
  });

  function settle(): void {
    for (const w of waiters)
      if (w.position <= position) {
        waiters.delete(w);
        w.resolve();
      }
  }

  async function checkpoint(): Promise<void> {
    sinceCheckpoint = 0;
    const kept = options.checkpoints;
    if (!kept || kept.readOnly || position === 0) return;
    for (const r of running)
      await kept.store.save(
        sealCheckpoint(kept.key, {
          name: r.definition.name,
          version: r.definition.version,
          position: r.position,
          ...(await ledgerAt(r.position)),
          state: r.definition.toJSON(r.state),
        }),
      );
  }

  function waitFor(target: number, timeoutMs = 10_000): Promise<void> {
    if (target <= position) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = Number.isFinite(timeoutMs)
        ? setTimeout(() => {
            waiters.delete(waiter);
            reject(
              new ProjectionWaitTimeoutError(
                `projections did not reach position ${target} within ${timeoutMs} ms (at ${position})`,
              ),
            );
          }, timeoutMs)
        : undefined;
      const waiter = {
        position: target,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      waiters.add(waiter);
    });
  }

  await waitFor(head, Number.POSITIVE_INFINITY);
  return {
    get position() {
      return position;
    },
    state<S>(definition: ProjectionDefinition<S>): S {
      const r = running.find((x) => x.definition.name === definition.name);
      if (!r) throw new Error(`projection ${definition.name} is not running`);
      return r.state as S;
    },
    waitFor,
    checkpoint,
    startedFrom,
    get following() {
      return follower.state;
    },
    async close() {
      await follower.close();
      await checkpoint();
    },
  };
}

/** The event id and Merkle root at a position, which bind a checkpoint to this ledger. */
function ledgerAtOf(store: EventStore): LedgerAt {
  const at = async (position: number) => {
    const [event]: RecordedEvent[] = await store.readAll({ fromPosition: position, limit: 1 });
    const root = store.merkle
      ? Buffer.from(await store.merkle.root(position)).toString('hex')
      : null;
    return { eventId: event?.position === position ? event.eventId : null, root };
  };
  return async (position) => {
    if (position === 0) return { ledger: null, eventId: null, root: null };
    const first = await at(1);
    return { ledger: first.root ?? first.eventId, ...(await at(position)) };
  };
}

/**
 * A checkpoint counts only when its MAC verifies with the server's key and it is of the same
 * version and the same ledger (the event and the Merkle root at its position); a state that
 * does not load is refused too. Nothing saved (or no key) means a plain rebuild.
 */
async function restore(
  definition: ProjectionDefinition<unknown>,
  head: number,
  ledgerAt: LedgerAt,
  options: StartOptions,
): Promise<{ state?: unknown; position: number } | { refused: string; rewritten?: true }> {
  const kept = options.checkpoints;
  const raw = await kept?.store.load(definition.name);
  if (!kept || raw === null || raw === undefined) return { position: 0 };
  const opened = await openCheckpoint(
    kept.key,
    raw,
    { name: definition.name, version: definition.version, head },
    ledgerAt,
  );
  if (!opened.ok)
    return opened.stale
      ? { position: 0 }
      : { refused: opened.reason, ...(opened.rewritten ? { rewritten: true as const } : {}) };
  try {
    return {
      state: definition.fromJSON(opened.checkpoint.state),
      position: opened.checkpoint.position,
    };
  } catch (error) {
    return { refused: `its state does not load: ${(error as Error).message}` };
  }
}
