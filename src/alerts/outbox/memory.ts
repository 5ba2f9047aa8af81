/** The outbox of a memory store: it lives as long as the process, as the events do. */
import type { AttemptRecord, DeliveryRecord, Outbox, SubscriptionRecord } from './port.ts';

export function openMemoryOutbox(): Outbox {
  const subscriptions = new Map<string, SubscriptionRecord>();
  const deliveries = new Map<string, DeliveryRecord & { leaseUntil: number | null }>();
  const attempts = new Map<string, AttemptRecord[]>();
  const memory = new Map<string, string>();
  const plain = ({ leaseUntil: _, ...d }: DeliveryRecord & { leaseUntil: number | null }) => d;

  return {
    async addSubscription(subscription) {
      subscriptions.set(subscription.id, { ...subscription });
    },
    async subscriptions() {
      return [...subscriptions.values()].map((s) => ({ ...s }));
    },
    async removeSubscription(id) {
      for (const [deliveryId, d] of deliveries)
        if (d.subscriptionId === id) {
          deliveries.delete(deliveryId);
          attempts.delete(deliveryId);
        }
      return subscriptions.delete(id);
    },
    async memory() {
      return new Map(memory);
    },
    async commit(written, remembered) {
      for (const d of written)
        if (!deliveries.has(d.id))
          deliveries.set(d.id, {
            ...d,
            state: 'pending',
            attempts: 0,
            firstAttemptAt: null,
            nextAttemptAt: d.createdAt,
            lastStatus: null,
            lastError: null,
            lastLatencyMs: null,
            leaseUntil: null,
          });
      for (const [key, value] of remembered) memory.set(key, value);
    },
    async claimDue(subscriptionId, now, _owner, leaseMs, limit) {
      const due = [...deliveries.values()]
        .filter(
          (d) =>
            d.subscriptionId === subscriptionId &&
            d.state === 'pending' &&
            d.nextAttemptAt !== null &&
            d.nextAttemptAt <= now &&
            subscriptions.get(d.subscriptionId)?.disabledAt === null &&
            (d.leaseUntil === null || d.leaseUntil < now),
        )
        .sort((a, b) => (a.nextAttemptAt ?? 0) - (b.nextAttemptAt ?? 0))
        .slice(0, limit);
      for (const d of due) d.leaseUntil = now + leaseMs;
      return due.map(plain);
    },
    async recordAttempt(deliveryId, outcome) {
      const d = deliveries.get(deliveryId);
      if (!d) return;
      const a = outcome.attempt;
      attempts.set(deliveryId, [...(attempts.get(deliveryId) ?? []), a]);
      Object.assign(d, {
        state: outcome.state,
        attempts: a.attempt,
        firstAttemptAt: d.firstAttemptAt ?? a.at,
        nextAttemptAt: outcome.nextAttemptAt,
        lastStatus: a.status,
        lastError: a.error,
        lastLatencyMs: a.latencyMs,
        leaseUntil: null,
      });
      const subscription = subscriptions.get(d.subscriptionId);
      if (outcome.disableReason !== undefined && subscription) {
        subscription.disabledAt = new Date(a.at).toISOString();
        subscription.disabledReason = outcome.disableReason;
      }
    },
    async deliveries(subscriptionId) {
      return [...deliveries.values()]
        .filter((d) => d.subscriptionId === subscriptionId)
        .sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id))
        .map(plain);
    },
    async attempts(deliveryId) {
      return [...(attempts.get(deliveryId) ?? [])];
    },
    async redeliver(subscriptionId, deliveryId, now) {
      const d = deliveries.get(deliveryId);
      if (!d || d.subscriptionId !== subscriptionId) return false;
      Object.assign(d, { state: 'pending', nextAttemptAt: now, leaseUntil: null });
      return true;
    },
    async close() {},
  };
}
