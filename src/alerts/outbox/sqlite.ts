/**
 * The outbox in the ledger's SQLite file, on a connection of its own (the store writes through
 * its writer thread; WAL lets both write, each waiting briefly for the other).
 */
import { SqliteDatabase as Database } from '../../eventstore/sqlite/index.ts';
import type { DeliveryRecord, Outbox } from './port.ts';
import {
  type AttemptRow,
  attemptOf,
  type DeliveryRow,
  deliveryOf,
  OUTBOX_TABLES,
  type SubscriptionRow,
  subscriptionOf,
  subscriptionRow,
} from './rows.ts';

export function openSqliteOutbox(path: string): Outbox {
  const db = new Database(path);
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(OUTBOX_TABLES);

  const insertDelivery = db.prepare(
    `INSERT INTO alert_deliveries (id, subscription_id, type, body, position, created_at, state, next_attempt_at)
     VALUES (@id, @subscriptionId, @type, @body, @position, @createdAt, 'pending', @createdAt)
     ON CONFLICT (id) DO NOTHING`,
  );
  const putMemory = db.prepare(
    'INSERT INTO alert_memory (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  const commit = db.transaction(
    (deliveries: Parameters<Outbox['commit']>[0], memory: ReadonlyMap<string, string>) => {
      for (const d of deliveries) insertDelivery.run(d);
      for (const [key, value] of memory) putMemory.run(key, value);
    },
  );
  const claim = db.prepare(
    `UPDATE alert_deliveries SET lease_owner = @owner, lease_until = @until
     WHERE id IN (
       SELECT d.id FROM alert_deliveries d JOIN alert_subscriptions s ON s.id = d.subscription_id
       WHERE d.subscription_id = @subscriptionId AND d.state = 'pending' AND d.next_attempt_at <= @now AND s.disabled_at IS NULL
         AND (d.lease_until IS NULL OR d.lease_until < @now)
       ORDER BY d.next_attempt_at LIMIT @limit)
     RETURNING *`,
  );
  const record = db.transaction(
    (deliveryId: string, outcome: Parameters<Outbox['recordAttempt']>[1]) => {
      const a = outcome.attempt;
      db.prepare(
        'INSERT OR REPLACE INTO alert_attempts (delivery_id, attempt, at, status, error, latency_ms) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(deliveryId, a.attempt, a.at, a.status, a.error, a.latencyMs);
      db.prepare(
        `UPDATE alert_deliveries SET state = ?, attempts = ?, first_attempt_at = COALESCE(first_attempt_at, ?),
         next_attempt_at = ?, last_status = ?, last_error = ?, last_latency_ms = ?,
         lease_owner = NULL, lease_until = NULL WHERE id = ?`,
      ).run(
        outcome.state,
        a.attempt,
        a.at,
        outcome.nextAttemptAt,
        a.status,
        a.error,
        a.latencyMs,
        deliveryId,
      );
      if (outcome.disableReason !== undefined)
        db.prepare(
          `UPDATE alert_subscriptions SET disabled_at = ?, disabled_reason = ?
         WHERE id = (SELECT subscription_id FROM alert_deliveries WHERE id = ?)`,
        ).run(new Date(a.at).toISOString(), outcome.disableReason, deliveryId);
    },
  );
  const remove = db.transaction((id: string) => {
    db.prepare(
      'DELETE FROM alert_attempts WHERE delivery_id IN (SELECT id FROM alert_deliveries WHERE subscription_id = ?)',
    ).run(id);
    db.prepare('DELETE FROM alert_deliveries WHERE subscription_id = ?').run(id);
    return db.prepare('DELETE FROM alert_subscriptions WHERE id = ?').run(id).changes > 0;
  });

  return {
    async addSubscription(subscription) {
      db.prepare(
        `INSERT INTO alert_subscriptions (id, url, types, program_ids, description, secret, created_at, disabled_at, disabled_reason)
         VALUES (@id, @url, @types, @program_ids, @description, @secret, @created_at, @disabled_at, @disabled_reason)`,
      ).run(subscriptionRow(subscription));
    },
    async subscriptions() {
      const rows = db
        .prepare('SELECT * FROM alert_subscriptions ORDER BY created_at, id')
        .all() as SubscriptionRow[];
      return rows.map(subscriptionOf);
    },
    async removeSubscription(id) {
      return remove(id);
    },
    async memory() {
      const rows = db.prepare('SELECT key, value FROM alert_memory').all() as {
        key: string;
        value: string;
      }[];
      return new Map(rows.map((r) => [r.key, r.value]));
    },
    async commit(deliveries, memory) {
      commit(deliveries, memory);
    },
    async claimDue(subscriptionId, now, owner, leaseMs, limit): Promise<DeliveryRecord[]> {
      const rows = claim.all({
        subscriptionId,
        now,
        owner,
        until: now + leaseMs,
        limit,
      }) as DeliveryRow[];
      return rows.map(deliveryOf);
    },
    async recordAttempt(deliveryId, outcome) {
      record(deliveryId, outcome);
    },
    async deliveries(subscriptionId) {
      const rows = db
        .prepare(
          'SELECT * FROM alert_deliveries WHERE subscription_id = ? ORDER BY created_at DESC, id',
        )
        .all(subscriptionId) as DeliveryRow[];
      return rows.map(deliveryOf);
    },
    async attempts(deliveryId) {
      const rows = db
        .prepare('SELECT * FROM alert_attempts WHERE delivery_id = ? ORDER BY attempt')
        .all(deliveryId) as AttemptRow[];
      return rows.map(attemptOf);
    },
    async redeliver(subscriptionId, deliveryId, now) {
      const changed = db
        .prepare(
          `UPDATE alert_deliveries SET state = 'pending', next_attempt_at = ?, lease_owner = NULL, lease_until = NULL
           WHERE id = ? AND subscription_id = ?`,
        )
        .run(now, deliveryId, subscriptionId).changes;
      return changed > 0;
    },
    async close() {
      db.close();
    },
  };
}
