import type { ProjectionDefinition } from '../../projections/definition.ts';
import { DEFAULT_RETRY, type FollowState, followLedger } from '../eventstore/follow.ts';
import type { EventStore } from '../eventstore/port.ts';
import type { CheckpointStore } from './checkpoints.ts';

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
  /** How each projection started: from a checkpoint or rebuilt. */
  readonly startedFrom: ReadonlyMap<string, { rebuilt: boolean; position: number }>;
  close(): Promise<void>;
}

export class ProjectionWaitTimeoutError extends Error {
  override readonly name = 'ProjectionWaitTimeoutError';
}

interface Running {
  definition: ProjectionDefinition<unknown>;
  state: unknown;
  position: number;
}

export interface StartOptions {
  checkpoints?: CheckpointStore;
  /** Saves checkpoints after this many applied events, and on close. */
  checkpointEvery?: number;
  /** Delays between resubscriptions after a failure: doubling, capped. */
  retry?: { baseDelayMs: number; maxDelayMs: number };
}

export async function startProjections(
  store: EventStore,
  definitions: readonly ProjectionDefinition<unknown>[],
  options: StartOptions = {},
): Promise<ProjectionRuntime> {
  const head = await store.headPosition();
  const running: Running[] = [];
  const startedFrom = new Map<string, { rebuilt: boolean; position: number }>();
  for (const d of definitions) {
    const restored = await restore(store, d, head, options.checkpoints);
    running.push({ definition: d, ...(restored ?? { state: d.initialState(), position: 0 }) });
    startedFrom.set(d.name, { rebuilt: !restored, position: restored?.position ?? 0 });
  }
  let position = Math.min(head, ...running.map((r) => r.position));
  let sinceCheckpoint = 0;
  const waiters = new Set<{ position: number; resolve: () => void }>();

  // A failed subscription is resumed for ever; meanwhile `following` says it is down. Waiters
  // keep waiting (until their timeout): a committed command is never answered as failed.
  const follower = followLedger(store, {
    fromPosition: position + 1,
    retry: options.retry ?? DEFAULT_RETRY,
    onEvent: async (event) => {
      for (const r of running) {
        if (event.position <= r.position) continue;
        r.state = r.definition.apply(r.state, event);
        r.position = event.position;
      }
      position = event.position;
      sinceCheckpoint++;
      if (waiters.size > 0) settle();
      if (options.checkpointEvery && sinceCheckpoint >= options.checkpointEvery) await checkpoint();
    },
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
    if (!options.checkpoints || position === 0) return;
    const [at] = await store.readAll({ fromPosition: position, limit: 1 });
    for (const r of running)
      await options.checkpoints.save({
        name: r.definition.name,
        version: r.definition.version,
        position: r.position,
        eventId: at?.eventId ?? null,
        state: r.definition.toJSON(r.state),
      });
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

/** A checkpoint counts only for the same version and the same ledger (the event at its position). */
async function restore(
  store: EventStore,
  definition: ProjectionDefinition<unknown>,
  head: number,
  checkpoints?: CheckpointStore,
): Promise<{ state: unknown; position: number } | null> {
  const saved = await checkpoints?.load(definition.name);
  if (!saved || saved.version !== definition.version || saved.position > head) return null;
  const [at] = await store.readAll({ fromPosition: saved.position, limit: 1 });
  if (saved.position > 0 && at?.eventId !== saved.eventId) return null;
  return { state: definition.fromJSON(saved.state), position: saved.position };
}
