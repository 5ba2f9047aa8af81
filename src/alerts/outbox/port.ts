/**
 * The alert outbox: subscriptions, deliveries, their attempts and the engine's memory, kept in
 * the store's own database beside the log (its own tables, not events). The engine writes a batch
 * of deliveries and what it now remembers (the last ledger position and date it turned into
 * alerts, the statuses announced, the thresholds passed) in one transaction, so a crash loses
 * no alert and repeats none with another id.
 */
import type { AlertType } from '../alert-types.ts';

export interface SubscriptionRecord {
  id: string;
  url: string;
  types: AlertType[];
  /** Only alerts about these programs; null: every program (and alerts about none). */
  programIds: string[] | null;
  description: string | null;
  secret: string;
  createdAt: string;
  /** Set when deliveries stopped for good (the receiver answered 410). */
  disabledAt: string | null;
  disabledReason: string | null;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

export interface DeliveryRecord {
  /** The webhook-id, the same on every attempt. */
  id: string;
  subscriptionId: string;
  type: AlertType;
  /** The CloudEvents body, fixed when the delivery was written. */
  body: string;
  /** The ledger position the alert is true at. */
  position: number;
  createdAt: number;
  state: DeliveryState;
  attempts: number;
  firstAttemptAt: number | null;
  /** When it is due (pending), ms since the epoch; null once delivered or failed. */
  nextAttemptAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  lastLatencyMs: number | null;
}

export interface AttemptRecord {
  deliveryId: string;
  attempt: number;
  at: number;
  status: number | null;
  error: string | null;
  latencyMs: number;
}

/** A delivery as the engine writes it. */
export type NewDelivery = Pick<
  DeliveryRecord,
  'id' | 'subscriptionId' | 'type' | 'body' | 'position' | 'createdAt'
>;

/** The result of one attempt and what follows from it. */
export interface AttemptOutcome {
  attempt: AttemptRecord;
  state: DeliveryState;
  nextAttemptAt: number | null;
  /** Set to disable the subscription (410 Gone). */
  disableReason?: string;
}

export interface Outbox {
  addSubscription(subscription: SubscriptionRecord): Promise<void>;
  subscriptions(): Promise<SubscriptionRecord[]>;
  /** Removes it and its deliveries; false when there is none. */
  removeSubscription(id: string): Promise<boolean>;
  /** The engine's memory: key → value (JSON text). */
  memory(): Promise<Map<string, string>>;
  /** Writes deliveries (ids already there are left alone) and memory entries, all or nothing. */
  commit(deliveries: readonly NewDelivery[], memory: ReadonlyMap<string, string>): Promise<void>;
  /**
   * Takes up to `limit` pending deliveries of a subscription due at `now` whose lease (if any) ran out, for `owner`
   * until `now + leaseMs`; another instance cannot take them meanwhile.
   */
  claimDue(
    subscriptionId: string,
    now: number,
    owner: string,
    leaseMs: number,
    limit: number,
  ): Promise<DeliveryRecord[]>;
  /** Records an attempt of a claimed delivery and releases its lease. */
  recordAttempt(deliveryId: string, outcome: AttemptOutcome): Promise<void>;
  /** A subscription's deliveries, newest first. */
  deliveries(subscriptionId: string): Promise<DeliveryRecord[]>;
  attempts(deliveryId: string): Promise<AttemptRecord[]>;
  /** Makes a delivery due at `now` again (manual redelivery); false when there is none. */
  redeliver(subscriptionId: string, deliveryId: string, now: number): Promise<boolean>;
  close(): Promise<void>;
}
