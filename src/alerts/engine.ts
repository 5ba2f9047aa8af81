/**
 * The alert engine: follows the ledger, turns what each event changes into alerts, and once per
 * date boundary (in the office's time zone) finds the changes that time alone brings, from the
 * deadlines the ledger already knows. Every alert is fanned out to the subscriptions that want it
 * and written to the outbox together with the engine's memory (last position, last day, what was
 * announced), in one transaction: after a crash it resumes there, and an alert derived again has
 * the same key, so the same webhook-id.
 */
import { programFacts } from '../../projections/program-facts.ts';
import { shipments } from '../../projections/shipments.ts';
import { violations } from '../../projections/violations.ts';
import type { Ledger } from '../composition/open-ledger.ts';
import type { RecordedEvent } from '../core/envelope.ts';
import {
  type CalendarDate,
  daysBetween,
  isBefore,
  specificationsAwaited,
  streamOwner,
  todayIn,
} from '../domain/index.ts';
import { type Follower, followLedger } from '../eventstore/follow.ts';
import {
  announcedPart,
  DEADLINE_THRESHOLDS_DAYS,
  daysUntilStop,
  statusData,
  thresholdToWarn,
} from './alert-rules.ts';
import type { Alert } from './alert-types.ts';
import { cloudEventBody, webhookId } from './cloud-event.ts';
import type { NewDelivery, Outbox, SubscriptionRecord } from './outbox/port.ts';

const LETTER_TYPES = new Set(['NoticeReceived', 'LicenseApplicationDecided']);
const POSITION = 'position';
const DAY = 'day';
/** How long the alerts of events wait to be written together (webhooks are not that urgent). */
const WRITE_AFTER_MS = 50;

export interface EngineOptions {
  ledger: Pick<Ledger, 'store' | 'projections' | 'queries'>;
  outbox: Outbox;
  timeZone: string;
  /** The alert clock, ms since the epoch (injected in tests). */
  now: () => number;
  /** CloudEvents `source`: the ledger's origin. */
  source: string;
  /** Told after deliveries were written, so the dispatcher need not wait for its next poll. */
  onWritten: () => void;
  onFailure: (error: Error) => void;
}

export interface AlertEngine {
  /** Looks for a date boundary passed since the last look (the service calls it every second). */
  checkDate(): Promise<void>;
  /** Writes an alert the ledger did not derive from its events (an integrity alarm). */
  raise(alert: Omit<Alert, 'time'>): Promise<void>;
  close(): Promise<void>;
}

export async function startAlertEngine(options: EngineOptions): Promise<AlertEngine> {
  const { ledger, outbox } = options;
  const memory = await outbox.memory();
  const changed = new Map<string, string>();
  // A ledger that had no alerts yet starts them at its head: its history is not announced.
  let position = Number(memory.get(POSITION) ?? (await ledger.store.headPosition()));
  if (!memory.has(POSITION)) changed.set(POSITION, String(position));
  let queue: Promise<unknown> = Promise.resolve();

  /** Runs steps one at a time: events, date checks and raised alarms never interleave. */
  const serially = <T>(step: () => Promise<T>): Promise<T> => {
    const run = queue.then(step);
    queue = run.catch(() => {});
    return run;
  };
  const today = (): CalendarDate => todayIn(options.timeZone, new Date(options.now()));
  const remember = (key: string, value: string) => {
    memory.set(key, value);
    changed.set(key, value);
  };

  /** Alerts derived from events but not yet written, each with the position it was derived at. */
  let pending: { alert: Alert; position: number }[] = [];
  let writeTimer: NodeJS.Timeout | undefined;

  /**
   * Fans alerts out and writes them, with those pending, and what changed in memory. An event
   * that changed nothing but the position is not written on its own (each write is a durable
   * transaction beside the store's): the position follows with the next write, or the next date
   * check (each second). Should the process die before, those events are looked at again, to the
   * same effect.
   */
  async function write(alerts: readonly Alert[], flush = false): Promise<void> {
    const taken = pending.length;
    const all = [...pending, ...alerts.map((alert) => ({ alert, position }))];
    const onlyPosition = [...changed.keys()].every((key) => key === POSITION);
    if (all.length === 0 && onlyPosition && !flush) return;
    const subscriptions = all.length === 0 ? [] : await outbox.subscriptions();
    const deliveries: NewDelivery[] = [];
    for (const { alert, position } of all)
      for (const s of subscriptions.filter((s) => wants(s, alert))) {
        const id = webhookId(s.id, alert);
        deliveries.push({
          id,
          subscriptionId: s.id,
          type: alert.type,
          body: cloudEventBody(id, options.source, alert),
          position,
          createdAt: options.now(),
        });
      }
    await outbox.commit(deliveries, new Map(changed));
    pending = pending.slice(taken);
    changed.clear();
    if (deliveries.length > 0) options.onWritten();
  }

  /**
   * Events are written together, WRITE_AFTER_MS after the first of them: a burst of appends
   * costs one outbox transaction (a durable commit, on the event loop), not one each.
   */
  function writeSoon(alerts: readonly Alert[]): void {
    pending.push(...alerts.map((alert) => ({ alert, position })));
    writeTimer ??= setTimeout(() => {
      writeTimer = undefined;
      serially(() => write([])).catch((error: unknown) =>
        options.onFailure(error instanceof Error ? error : new Error(String(error))),
      );
    }, WRITE_AFTER_MS);
  }

  /** Status and deadline alerts of one program, as known at `position`, on `day`. */
  function programAlerts(programId: string, day: CalendarDate, cause: string): Alert[] {
    const status = ledger.queries.status(programId, { at: day, ledgerSize: position });
    if (status === null) return [];
    const time = new Date(options.now()).toISOString();
    const alerts: Alert[] = [];
    const said = announcedPart(status);
    const statusKey = `status:${programId}`;
    if (memory.get(statusKey) !== said) {
      const previous = memory.get(statusKey);
      remember(statusKey, said);
      alerts.push({
        key: `status|${programId}|${cause}`,
        type: 'ledger.status.changed',
        subject: programId,
        programId,
        time,
        data: {
          ...statusData(programId, status),
          previous: previous === undefined ? null : JSON.parse(previous),
          position,
        },
      });
    }
    const daysLeft = daysUntilStop(status, day);
    if (daysLeft !== null && status.until !== null) {
      const stopping = ledger.queries.status(programId, { at: status.until, ledgerSize: position });
      const letter =
        stopping?.basis.find((b) => b.roles.includes('ends') || b.roles.includes('suspends'))
          ?.eventId ?? 'none';
      // One deadline: (program, the letter, the term); a moved date is a new one, armed afresh.
      const deadline = `deadline:${programId}:${letter}:${stopping?.rule}:${status.until}`;
      const warned = memory.get(deadline);
      const threshold = thresholdToWarn(daysLeft, warned === undefined ? null : Number(warned));
      if (threshold !== null) {
        remember(deadline, String(threshold));
        alerts.push({
          key: `${deadline}:${threshold}`,
          type: 'ledger.deadline.approaching',
          subject: programId,
          programId,
          time,
          data: {
            ...statusData(programId, status),
            daysLeft,
            thresholdDays: threshold,
            letterEventId: letter,
            term: stopping?.rule ?? null,
            stopsWith: stopping?.explanation ?? null,
            position,
          },
        });
      }
    }
    return alerts;
  }

  function letterAlert(event: RecordedEvent, programId: string | null): Alert {
    return {
      key: `letter|${event.eventId}`,
      type: 'ledger.letter.recorded',
      subject: programId ?? event.stream,
      programId,
      time: new Date(options.now()).toISOString(),
      data: {
        eventId: event.eventId,
        eventType: event.type,
        stream: event.stream,
        recordedAt: event.metadata.recordedAt,
        letter: event.data,
        position: event.position,
      },
    };
  }

  /** The programs whose status can change with this event: its own, or those naming its specification. */
  function programsOf(event: RecordedEvent): string[] {
    const owner = streamOwner(event.stream);
    if (owner === null) return [];
    if (owner.kind === 'program') return [owner.id];
    const index = ledger.projections.state(programFacts);
    return [...index.programs]
      .filter(([, own]) => specificationsAwaited(own).includes(owner.id))
      .map(([programId]) => programId);
  }

  /**
   * Shipments outside an authorization (the violations projection, asked about only the
   * shipments this event can change): a shipment recorded on a day not authorized, or earlier
   * shipments of a program a later fact turns into violations. Each is told once.
   */
  function violationAlerts(event: RecordedEvent, programIds: readonly string[]): Alert[] {
    const time = new Date(options.now()).toISOString();
    const shipped = ledger.projections.state(shipments);
    const recorded = shipped.byEventId.get(event.eventId);
    const concerned = new Map(
      event.type === 'ShipmentRecorded'
        ? programIds.map((id) => [id, recorded ? [recorded] : []])
        : programIds.map((id) => [id, shipped.byProgram.get(id) ?? []]),
    );
    const found = violations(ledger.projections.state(programFacts), {
      byProgram: concerned,
      byEventId: shipped.byEventId,
    }).filter(
      (v) =>
        !v.asKnownNow.compliant && v.position <= position && !memory.has(`violation:${v.eventId}`),
    );
    return found.map((v) => {
      remember(`violation:${v.eventId}`, String(position));
      return {
        key: `violation|${v.eventId}`,
        type: 'ledger.violation.recorded',
        subject: v.programId,
        programId: v.programId,
        time,
        data: {
          programId: v.programId,
          shipmentId: v.shipmentId,
          shipmentEventId: v.eventId,
          shippedOn: v.shippedOn,
          units: v.units,
          status: v.asKnownNow.status,
          rule: v.asKnownNow.rule,
          asKnownWhenRecorded: v.asKnownWhenRecorded,
          /** The event that made it a violation: the shipment itself, or a later fact. */
          madeByEventId: event.eventId,
          position,
        },
      };
    });
  }

  async function onEvent(event: RecordedEvent): Promise<void> {
    await ledger.projections.waitFor(event.position);
    position = event.position;
    remember(POSITION, String(position));
    const day = today();
    if (memory.get(DAY) === undefined) remember(DAY, day);
    const owner = streamOwner(event.stream);
    const programId = owner?.kind === 'program' ? owner.id : null;
    const alerts: Alert[] = [];
    if (LETTER_TYPES.has(event.type)) alerts.push(letterAlert(event, programId));
    const programs = programsOf(event);
    for (const id of programs) alerts.push(...programAlerts(id, day, `event:${event.position}`));
    alerts.push(...violationAlerts(event, programs));
    writeSoon(alerts);
  }

  async function checkDate(): Promise<void> {
    const day = today();
    const last = memory.get(DAY);
    if (last === day) return write([], changed.size > 0);
    remember(DAY, day);
    const alerts: Alert[] = [];
    if (last !== undefined && isBefore(last, day)) {
      // Only programs whose authorization stops, or crosses a threshold, by `day` can change.
      const horizon = daysBetween(last, day) + Math.max(...DEADLINE_THRESHOLDS_DAYS);
      for (const d of ledger.queries.deadlines({ today: last, withinDays: horizon }))
        alerts.push(...programAlerts(d.programId, day, `day:${day}`));
    }
    await write(alerts);
  }

  const follower: Follower = followLedger(ledger.store, {
    fromPosition: position + 1,
    onEvent: (event) => serially(() => onEvent(event)),
    onFailure: options.onFailure,
  });

  return {
    checkDate: () => serially(checkDate),
    raise: (alert) =>
      serially(() => write([{ ...alert, time: new Date(options.now()).toISOString() }])),
    async close() {
      await follower.close();
      clearTimeout(writeTimer);
      await serially(() => write([], changed.size > 0));
    },
  };
}

const wants = (s: SubscriptionRecord, alert: Alert): boolean =>
  s.disabledAt === null &&
  s.types.includes(alert.type) &&
  (s.programIds === null || (alert.programId !== null && s.programIds.includes(alert.programId)));
