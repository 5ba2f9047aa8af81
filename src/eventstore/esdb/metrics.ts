/**
 * What the esdb adapter counts, in prom-client's default registry, which /metrics serves beside
 * its own: events it skipped, retries it made and alarms it raised.
 */
import { Counter, Gauge, register } from 'prom-client';

function counter(name: string, help: string): Counter {
  return (register.getSingleMetric(name) as Counter | undefined) ?? new Counter({ name, help });
}

function gauge(name: string, help: string): Gauge {
  return (register.getSingleMetric(name) as Gauge | undefined) ?? new Gauge({ name, help });
}

export const esdbMetrics = {
  foreignEvents: counter(
    'ledger_esdb_foreign_events_skipped_total',
    'Events in $all outside the ledger (no ledger envelope) that global reads skipped',
  ),
  subscriptionRetries: counter(
    'ledger_esdb_subscription_retries_total',
    'Times a failed $all subscription was resumed',
  ),
  unknownOutcomes: counter(
    'ledger_esdb_append_outcome_unknown_total',
    'Appends that failed without a definite answer (deadline, unavailable) and were re-sent',
  ),
  forkAlarm: gauge(
    'ledger_esdb_merkle_fork_alarm',
    '1 when this instance built another Merkle root than the checkpoint another instance signed',
  ),
  retentionAlarm: gauge(
    'ledger_esdb_retention_alarm',
    '1 when a ledger stream has $tb, $maxAge or $maxCount metadata, or was deleted',
  ),
};
