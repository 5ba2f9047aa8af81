/**
 * The outbox in the ledger's PostgreSQL database. Several instances share it: a due delivery is
 * claimed with FOR UPDATE SKIP LOCKED under a lease, so one instance sends it at a time; an
 * instance that dies holding it leaves it to another once the lease ran out.
 */
import pg from 'pg';
import type { Outbox } from './port.ts';
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

/** The store URL without the store's own query options (pool_size, ...), which pg does not know. */
const connectionOf = (url: string) => url.split('?')[0] as string;

export async function openPostgresOutbox(url: string): Promise<Outbox> {
  const pool = new pg.Pool({ connectionString: connectionOf(url), max: 4 });
  // An idle connection the server dropped (a restart): the next query connects again, and the
  // engine and dispatcher retry what failed. Unheard, this event would end the process.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  // Instances starting together both create the tables: one at a time.
  await transaction(async (c) => {
    await c.query("SELECT pg_advisory_xact_lock(hashtext('alert_outbox_tables'))");
    await c.query(OUTBOX_TABLES);
  });

  async function transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  return {
    async addSubscription(subscription) {
      const r = subscriptionRow(subscription);
      await pool.query(
        `INSERT INTO alert_subscriptions (id, url, types, program_ids, description, secret, created_at, disabled_at, disabled_reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          r.id,
          r.url,
          r.types,
          r.program_ids,
          r.description,
          r.secret,
          r.created_at,
          r.disabled_at,
          r.disabled_reason,
        ],
      );
    },
    async subscriptions() {
      const { rows } = await pool.query<SubscriptionRow>(
        'SELECT * FROM alert_subscriptions ORDER BY created_at, id',
      );
      return rows.map(subscriptionOf);
    },
    removeSubscription: (id) =>
      transaction(async (c) => {
        await c.query(
          'DELETE FROM alert_attempts WHERE delivery_id IN (SELECT id FROM alert_deliveries WHERE subscription_id = $1)',
          [id],
        );
        await c.query('DELETE FROM alert_deliveries WHERE subscription_id = $1', [id]);
        const removed = await c.query('DELETE FROM alert_subscriptions WHERE id = $1', [id]);
        return (removed.rowCount ?? 0) > 0;
      }),
    async memory() {
      const { rows } = await pool.query<{ key: string; value: string }>(
        'SELECT key, value FROM alert_memory',
      );
      return new Map(rows.map((r) => [r.key, r.value]));
    },
    commit: (deliveries, memory) =>
      transaction(async (c) => {
        for (const d of deliveries)
          await c.query(
            `INSERT INTO alert_deliveries (id, subscription_id, type, body, position, created_at, state, next_attempt_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', $6) ON CONFLICT (id) DO NOTHING`,
            [d.id, d.subscriptionId, d.type, d.body, d.position, d.createdAt],
          );
        for (const [key, value] of memory)
          await c.query(
            'INSERT INTO alert_memory (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
            [key, value],
          );
      }),
    async claimDue(subscriptionId, now, owner, leaseMs, limit) {
      const { rows } = await pool.query<DeliveryRow>(
        `UPDATE alert_deliveries SET lease_owner = $1, lease_until = $2
         WHERE id IN (
           SELECT d.id FROM alert_deliveries d JOIN alert_subscriptions s ON s.id = d.subscription_id
           WHERE d.subscription_id = $5 AND d.state = 'pending' AND d.next_attempt_at <= $3 AND s.disabled_at IS NULL
             AND (d.lease_until IS NULL OR d.lease_until < $3)
           ORDER BY d.next_attempt_at LIMIT $4
           FOR UPDATE OF d SKIP LOCKED)
         RETURNING *`,
        [owner, now + leaseMs, now, limit, subscriptionId],
      );
      return rows.map(deliveryOf);
    },
    recordAttempt: (deliveryId, outcome) =>
      transaction(async (c) => {
        const a = outcome.attempt;
        await c.query(
          `INSERT INTO alert_attempts (delivery_id, attempt, at, status, error, latency_ms) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (delivery_id, attempt) DO NOTHING`,
          [deliveryId, a.attempt, a.at, a.status, a.error, a.latencyMs],
        );
        await c.query(
          `UPDATE alert_deliveries SET state = $1, attempts = $2, first_attempt_at = COALESCE(first_attempt_at, $3),
             next_attempt_at = $4, last_status = $5, last_error = $6, last_latency_ms = $7,
             lease_owner = NULL, lease_until = NULL WHERE id = $8`,
          [
            outcome.state,
            a.attempt,
            a.at,
            outcome.nextAttemptAt,
            a.status,
            a.error,
            a.latencyMs,
            deliveryId,
          ],
        );
        if (outcome.disableReason !== undefined)
          await c.query(
            `UPDATE alert_subscriptions SET disabled_at = $1, disabled_reason = $2
             WHERE id = (SELECT subscription_id FROM alert_deliveries WHERE id = $3)`,
            [new Date(a.at).toISOString(), outcome.disableReason, deliveryId],
          );
      }),
    async deliveries(subscriptionId) {
      const { rows } = await pool.query<DeliveryRow>(
        'SELECT * FROM alert_deliveries WHERE subscription_id = $1 ORDER BY created_at DESC, id',
        [subscriptionId],
      );
      return rows.map(deliveryOf);
    },
    async attempts(deliveryId) {
      const { rows } = await pool.query<AttemptRow>(
        'SELECT * FROM alert_attempts WHERE delivery_id = $1 ORDER BY attempt',
        [deliveryId],
      );
      return rows.map(attemptOf);
    },
    async redeliver(subscriptionId, deliveryId, now) {
      const r = await pool.query(
        `UPDATE alert_deliveries SET state = 'pending', next_attempt_at = $1, lease_owner = NULL, lease_until = NULL
         WHERE id = $2 AND subscription_id = $3`,
        [now, deliveryId, subscriptionId],
      );
      return (r.rowCount ?? 0) > 0;
    },
    async close() {
      await pool.end();
    },
  };
}
