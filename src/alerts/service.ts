/**
 * The alerts of one running ledger: the outbox beside its store, the engine that writes
 * deliveries, the dispatcher that sends them, and the once-a-second look for a date boundary.
 */
import type { Ledger } from '../composition/open-ledger.ts';
import type { Config } from '../config.ts';
import { type CalendarDate, todayIn } from '../domain/index.ts';
import { type Dispatcher, startDispatcher } from './dispatcher.ts';
import { type AlertEngine, startAlertEngine } from './engine.ts';
import { openOutbox } from './outbox/open.ts';
import type { Outbox } from './outbox/port.ts';

const DATE_CHECK_MS = 1_000;

export type AlertSettings = Pick<
  Config,
  | 'LEDGER_STORE'
  | 'LEDGER_ORIGIN'
  | 'LEDGER_TIME_ZONE'
  | 'LEDGER_ALERT_ALLOWED_HOSTS'
  | 'LEDGER_ALERT_TIMEOUT_MS'
>;

export interface AlertLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface Alerts {
  outbox: Outbox;
  /** Hosts subscriptions may name over plain http besides loopback. */
  allowedHosts: readonly string[];
  /** The alert clock's "today" in the office's time zone. */
  today(): CalendarDate;
  now(): number;
  /** Tells subscribers of `ledger.integrity.alarm` that a verify or checkpoint check failed. */
  raiseIntegrityAlarm(alarm: IntegrityAlarm): Promise<void>;
  close(): Promise<void>;
}

export interface IntegrityAlarm {
  /** Which check failed, e.g. `verify` or `checkpoint`. */
  check: string;
  /** The ledger position the check covered. */
  position: number;
  /** What failed, in the report's words. */
  detail: string;
}

/** Null when the store keeps no outbox (esdb): subscriptions are then not offered. */
export async function startAlerts(
  ledger: Pick<Ledger, 'store' | 'projections' | 'queries'>,
  settings: AlertSettings,
  log: AlertLog,
  now: () => number = Date.now,
): Promise<Alerts | null> {
  const outbox = await openOutbox(settings.LEDGER_STORE);
  if (outbox === null) return null;
  let dispatcher: Dispatcher | undefined;
  let engine: AlertEngine;
  try {
    engine = await startAlertEngine({
      ledger,
      outbox,
      timeZone: settings.LEDGER_TIME_ZONE,
      now,
      source: settings.LEDGER_ORIGIN,
      onWritten: () => dispatcher?.wake(),
      onFailure: (error) => log.error({ err: error }, 'alert engine: following the ledger failed'),
    });
  } catch (error) {
    await outbox.close();
    throw error;
  }
  dispatcher = startDispatcher({
    outbox,
    now,
    timeoutMs: settings.LEDGER_ALERT_TIMEOUT_MS,
    allowedHosts: settings.LEDGER_ALERT_ALLOWED_HOSTS,
    log,
  });
  const checkDate = () =>
    engine
      .checkDate()
      .catch((error: Error) => log.error({ err: error }, 'alert date check failed'));
  await checkDate();
  const dateTimer = setInterval(checkDate, DATE_CHECK_MS);
  return {
    outbox,
    allowedHosts: settings.LEDGER_ALERT_ALLOWED_HOSTS,
    today: () => todayIn(settings.LEDGER_TIME_ZONE, new Date(now())),
    now,
    raiseIntegrityAlarm: (alarm) =>
      engine.raise({
        key: `integrity|${alarm.check}|${alarm.position}|${alarm.detail}`,
        type: 'ledger.integrity.alarm',
        subject: 'ledger',
        programId: null,
        data: { ...alarm },
      }),
    async close() {
      clearInterval(dateTimer);
      await engine.close();
      await dispatcher?.close();
      await outbox.close();
    },
  };
}
