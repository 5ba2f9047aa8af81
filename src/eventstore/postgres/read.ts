/** Reading events back: rows as arrays (cheaper than objects), json columns parsed by node-postgres. */
import type pg from 'pg';
import type { RecordedEvent } from '../port.ts';

export const COLUMNS = 'position, stream, revision, event_id, type, data, metadata';

type EventRow = [
  position: number,
  stream: string,
  revision: number,
  eventId: string,
  type: string,
  data: unknown,
  metadata: RecordedEvent['metadata'],
];

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

export function toRecordedEvent([
  position,
  stream,
  revision,
  eventId,
  type,
  data,
  metadata,
]: EventRow): RecordedEvent {
  return { eventId, stream, revision, position, type, data, metadata };
}

async function events(db: Queryable, text: string, values: unknown[]): Promise<RecordedEvent[]> {
  const { rows } = await db.query<EventRow>({ text, values, rowMode: 'array' });
  return rows.map(toRecordedEvent);
}

export async function findEvent(db: Queryable, eventId: string): Promise<RecordedEvent | null> {
  const [event] = await events(db, `SELECT ${COLUMNS} FROM events WHERE event_id = $1`, [eventId]);
  return event ?? null;
}

export function readAll(db: Queryable, from: number, limit: number): Promise<RecordedEvent[]> {
  return events(
    db,
    `SELECT ${COLUMNS} FROM events WHERE position >= $1 ORDER BY position LIMIT $2`,
    [from, Number.isFinite(limit) ? limit : null],
  );
}

export function readStream(
  db: Queryable,
  stream: string,
  fromRevision: number,
): Promise<RecordedEvent[]> {
  return events(
    db,
    `SELECT ${COLUMNS} FROM events WHERE stream = $1 AND revision >= $2 ORDER BY revision`,
    [stream, fromRevision],
  );
}

export async function headPosition(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ head: number }>(
    'SELECT coalesce(max(position), 0)::bigint AS head FROM events',
  );
  return rows[0]?.head ?? 0;
}
