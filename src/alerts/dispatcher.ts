/**
 * Sends due deliveries. Each subscription has its own few slots, so a slow or dead receiver
 * holds only its own; deliveries are claimed under a lease (several instances on one
 * PostgreSQL database send each one once at a time). The outcome of every attempt is logged
 * by ids and status only: never a header, so never the signature or the secret.
 */
import { randomUUID } from 'node:crypto';
import { CLOUDEVENTS_CONTENT_TYPE } from './cloud-event.ts';
import { refusedUrl } from './outbound-url.ts';
import type { AttemptOutcome, DeliveryRecord, Outbox, SubscriptionRecord } from './outbox/port.ts';
import { nextAttemptAt } from './retry-schedule.ts';
import { send } from './send.ts';
import { signDelivery } from './signing.ts';

/** Deliveries of one subscription in flight at once. */
const SLOTS_PER_SUBSCRIPTION = 2;
const POLL_MS = 250;

export interface DispatcherOptions {
  outbox: Outbox;
  now: () => number;
  timeoutMs: number;
  allowedHosts: readonly string[];
  log: {
    info(fields: object, message: string): void;
    warn(fields: object, message: string): void;
  };
  random?: () => number;
}

export interface Dispatcher {
  /** Looks for due deliveries now rather than at the next poll. */
  wake(): void;
  close(): Promise<void>;
}

export function startDispatcher(options: DispatcherOptions): Dispatcher {
  const { outbox } = options;
  const owner = randomUUID();
  // A lease outlives the attempt it covers: the timeout, plus time to record the outcome.
  const leaseMs = options.timeoutMs * 2 + 1_000;
  const random = options.random ?? Math.random;
  const inFlight = new Map<string, Set<Promise<void>>>();
  let stopped = false;
  // Closing cancels attempts in flight; they stay pending (unrecorded) and are sent after restart.
  const closing = new AbortController();
  let polling: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  async function attempt(s: SubscriptionRecord, d: DeliveryRecord): Promise<void> {
    const at = options.now();
    const number = d.attempts + 1;
    const refused = refusedUrl(s.url, options.allowedHosts);
    const timestamp = Math.floor(Date.now() / 1000);
    const outcome = refused
      ? { status: null, error: `not sent: the URL ${refused}`, latencyMs: 0 }
      : await send(
          s.url,
          {
            'content-type': CLOUDEVENTS_CONTENT_TYPE,
            'user-agent': 'compliance-ledger-alerts',
            ...signDelivery(s.secret, d.id, timestamp, d.body),
          },
          d.body,
          options.timeoutMs,
          closing.signal,
        );
    if (closing.signal.aborted) return;
    const record = { deliveryId: d.id, attempt: number, at, ...outcome };
    const result: AttemptOutcome = { attempt: record, state: 'pending', nextAttemptAt: null };
    if (outcome.status !== null && outcome.status >= 200 && outcome.status < 300)
      result.state = 'delivered';
    else if (outcome.status === 410) {
      result.state = 'failed';
      result.disableReason = 'the receiver answered 410 Gone';
    } else {
      const next = nextAttemptAt(number, d.firstAttemptAt ?? at, at, random());
      result.state = next === null ? 'failed' : 'pending';
      result.nextAttemptAt = next;
    }
    await outbox.recordAttempt(d.id, result);
    const fields = {
      subscription: s.id,
      delivery: d.id,
      attempt: number,
      status: outcome.status,
      latencyMs: outcome.latencyMs,
    };
    if (result.state === 'delivered') options.log.info(fields, 'alert delivered');
    else
      options.log.warn(
        { ...fields, error: outcome.error, next: result.nextAttemptAt },
        result.disableReason
          ? 'alert receiver is gone (410): subscription disabled'
          : result.state === 'failed'
            ? 'alert delivery given up'
            : 'alert delivery failed; will retry',
      );
  }

  async function poll(): Promise<void> {
    const subscriptions = (await outbox.subscriptions()).filter((s) => s.disabledAt === null);
    for (const s of subscriptions) {
      const running = inFlight.get(s.id) ?? new Set();
      inFlight.set(s.id, running);
      const free = SLOTS_PER_SUBSCRIPTION - running.size;
      if (free <= 0 || stopped) continue;
      for (const d of await outbox.claimDue(s.id, options.now(), owner, leaseMs, free)) {
        const sending: Promise<void> = attempt(s, d)
          .catch((error: Error) =>
            options.log.warn(
              { subscription: s.id, delivery: d.id, err: error },
              'alert attempt not recorded',
            ),
          )
          .finally(() => {
            running.delete(sending);
            if (!stopped) wake();
          });
        running.add(sending);
      }
    }
  }

  function wake(): void {
    if (stopped) return;
    clearTimeout(timer);
    polling = polling
      .then(poll)
      .catch((error: Error) => options.log.warn({ err: error }, 'looking for due alerts failed'))
      .finally(() => {
        clearTimeout(timer);
        if (!stopped) timer = setTimeout(wake, POLL_MS);
      });
  }

  wake();
  return {
    wake,
    async close() {
      stopped = true;
      clearTimeout(timer);
      closing.abort();
      await polling;
      await Promise.all([...inFlight.values()].flatMap((running) => [...running]));
    },
  };
}
