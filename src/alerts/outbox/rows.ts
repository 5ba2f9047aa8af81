/** Row ↔ record mapping shared by the SQL outboxes (same columns in SQLite and PostgreSQL). */
import type { AlertType } from '../alert-types.ts';
import type { AttemptRecord, DeliveryRecord, SubscriptionRecord } from './port.ts';

export interface SubscriptionRow {
  id: string;
  url: string;
  types: string;
  program_ids: string | null;
  description: string | null;
  secret: string;
  created_at: string;
  disabled_at: string | null;
  disabled_reason: string | null;
}

export const subscriptionOf = (row: SubscriptionRow): SubscriptionRecord => ({
  id: row.id,
  url: row.url,
  types: JSON.parse(row.types) as AlertType[],
  programIds: row.program_ids === null ? null : (JSON.parse(row.program_ids) as string[]),
  description: row.description,
  secret: row.secret,
  createdAt: row.created_at,
  disabledAt: row.disabled_at,
  disabledReason: row.disabled_reason,
});

export const subscriptionRow = (s: SubscriptionRecord): SubscriptionRow => ({
  id: s.id,
  url: s.url,
  types: JSON.stringify(s.types),
  program_ids: s.programIds === null ? null : JSON.stringify(s.programIds),
  description: s.description,
  secret: s.secret,
  created_at: s.createdAt,
  disabled_at: s.disabledAt,
  disabled_reason: s.disabledReason,
});

export interface DeliveryRow {
  id: string;
  subscription_id: string;
  type: string;
  body: string;
  position: number | string;
  created_at: number | string;
  state: string;
  attempts: number;
  first_attempt_at: number | string | null;
  next_attempt_at: number | string | null;
  last_status: number | null;
  last_error: string | null;
  last_latency_ms: number | null;
}

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

export const deliveryOf = (row: DeliveryRow): DeliveryRecord => ({
  id: row.id,
  subscriptionId: row.subscription_id,
  type: row.type as AlertType,
  body: row.body,
  position: Number(row.position),
  createdAt: Number(row.created_at),
  state: row.state as DeliveryRecord['state'],
  attempts: row.attempts,
  firstAttemptAt: num(row.first_attempt_at),
  nextAttemptAt: num(row.next_attempt_at),
  lastStatus: row.last_status,
  lastError: row.last_error,
  lastLatencyMs: row.last_latency_ms,
});

export interface AttemptRow {
  delivery_id: string;
  attempt: number;
  at: number | string;
  status: number | null;
  error: string | null;
  latency_ms: number;
}

export const attemptOf = (row: AttemptRow): AttemptRecord => ({
  deliveryId: row.delivery_id,
  attempt: row.attempt,
  at: Number(row.at),
  status: row.status,
  error: row.error,
  latencyMs: row.latency_ms,
});

/** The tables, in SQL both databases take (BIGINT is an integer in SQLite). */
export const OUTBOX_TABLES = `
CREATE TABLE IF NOT EXISTS alert_subscriptions (
  id TEXT PRIMARY KEY, url TEXT NOT NULL, types TEXT NOT NULL, program_ids TEXT,
  description TEXT, secret TEXT NOT NULL, created_at TEXT NOT NULL,
  disabled_at TEXT, disabled_reason TEXT);
CREATE TABLE IF NOT EXISTS alert_deliveries (
  id TEXT PRIMARY KEY, subscription_id TEXT NOT NULL, type TEXT NOT NULL, body TEXT NOT NULL,
  position BIGINT NOT NULL, created_at BIGINT NOT NULL, state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, first_attempt_at BIGINT, next_attempt_at BIGINT,
  last_status INTEGER, last_error TEXT, last_latency_ms INTEGER,
  lease_owner TEXT, lease_until BIGINT);
CREATE INDEX IF NOT EXISTS alert_deliveries_due ON alert_deliveries (state, next_attempt_at);
CREATE INDEX IF NOT EXISTS alert_deliveries_of ON alert_deliveries (subscription_id, created_at);
CREATE TABLE IF NOT EXISTS alert_attempts (
  delivery_id TEXT NOT NULL, attempt INTEGER NOT NULL, at BIGINT NOT NULL, status INTEGER,
  error TEXT, latency_ms INTEGER NOT NULL, PRIMARY KEY (delivery_id, attempt));
CREATE TABLE IF NOT EXISTS alert_memory (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;
