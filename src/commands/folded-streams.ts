import type { Decider, DomainEvent, Identified } from '../domain/index.ts';
import type { EventStore, RecordedEvent } from '../eventstore/port.ts';

/** A stream's state folded up to `revision` (-1: no stream), and that event's global position. */
export interface Folded<S> {
  state: S;
  revision: number;
  position: number;
}

/** Streams whose folded state stays in memory between commands (most recently used kept). */
const CACHED_STREAMS = 5000;

/**
 * Each stream's folded state, kept between commands so a command reads only the events
 * recorded since the last one instead of the whole stream.
 */
export function foldedStreams<C, E extends DomainEvent, S>(decider: Decider<C, E, S>) {
  const folded = new Map<string, Folded<S>>();

  function remember(stream: string, entry: Folded<S>): void {
    folded.delete(stream);
    folded.set(stream, entry);
    const oldest = folded.keys().next();
    if (folded.size > CACHED_STREAMS && !oldest.done) folded.delete(oldest.value);
  }

  /** The stream's folded state, brought up to date with what was recorded since it was folded. */
  async function catchUp(store: EventStore, stream: string): Promise<Folded<S>> {
    const entry = folded.get(stream) ?? {
      state: decider.initialState(),
      revision: -1,
      position: 0,
    };
    const newer = await store.readStream(stream, { fromRevision: entry.revision + 1 });
    for (const e of newer) entry.state = decider.evolve(entry.state, identified<E>(e));
    const last = newer.at(-1);
    if (last) {
      entry.revision = last.revision;
      entry.position = last.position;
    }
    remember(stream, entry);
    return entry;
  }

  return { catchUp, remember };
}

export type FoldedStreams<S> = ReturnType<typeof foldedStreams<unknown, DomainEvent, S>>;

/** A stream's whole history folded from the initial state. */
export function foldHistory<C, E extends DomainEvent, S>(
  decider: Decider<C, E, S>,
  history: readonly RecordedEvent[],
): Folded<S> {
  return {
    state: history.reduce((s, e) => decider.evolve(s, identified<E>(e)), decider.initialState()),
    revision: history.length - 1,
    position: history.at(-1)?.position ?? 0,
  };
}

/**
 * Events in a stream were validated by its decider's command schemas before they were written,
 * so they are folded as they are: the stream's events are the decider's events.
 */
function identified<E extends DomainEvent>(e: RecordedEvent): Identified<E>;
function identified(e: RecordedEvent): Identified {
  return { eventId: e.eventId, type: e.type, data: e.data } as Identified;
}
