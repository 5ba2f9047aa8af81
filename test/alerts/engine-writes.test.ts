/**
 * The alert engine writes a burst of events in one outbox transaction (each is a durable commit
 * on the event loop, beside the store's), and every alert of the burst still goes out with the
 * position of the event it came from.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type AlertEngine, startAlertEngine } from '../../src/alerts/engine.ts';
import { openMemoryOutbox } from '../../src/alerts/outbox/memory.ts';
import type { Outbox } from '../../src/alerts/outbox/port.ts';
import { expectRecorded, startApi, type TestApi } from '../api/support.ts';
import { currentSpecification, program } from '../support/founding-case.ts';

const PROGRAMS = 40;
const opened: { api?: TestApi; engine?: AlertEngine } = {};

afterEach(async () => {
  await opened.engine?.close();
  await opened.api?.close();
  opened.engine = undefined;
  opened.api = undefined;
});

/** The memory outbox, counting its transactions. */
function countingOutbox(): Outbox & { commits: number } {
  const outbox = openMemoryOutbox();
  const counting = Object.assign(Object.create(null), outbox, {
    commits: 0,
    async commit(...args: Parameters<Outbox['commit']>) {
      counting.commits++;
      return outbox.commit(...args);
    },
  });
  return counting;
}

describe('alert engine writes', () => {
  it('writes the alerts of events committed together in one transaction, each delivery at its own event’s position', async () => {
    const api = await startApi();
    opened.api = api;
    expectRecorded(await api.post('/v1/specifications', currentSpecification));
    const outbox = countingOutbox();
    await outbox.addSubscription({
      id: 'sub-1',
      url: 'http://127.0.0.1:9/',
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      types: ['ledger.status.changed'],
      programIds: null,
      description: null,
      createdAt: new Date(0).toISOString(),
      disabledAt: null,
      disabledReason: null,
    });
    opened.engine = await startAlertEngine({
      ledger: api.app.ledger,
      outbox,
      timeZone: 'UTC',
      now: () => Date.parse('2007-06-01T12:00:00Z'),
      source: 'https://ledger.example',
      onWritten: () => {},
      onFailure: (error) => {
        throw error;
      },
    });
    const ids = Array.from({ length: PROGRAMS }, (_, i) => `${program.programId}-${i}`);
    const answers = await Promise.all(
      ids.map((programId) => api.post('/v1/programs', { ...program, programId })),
    );
    const positions = new Map(
      answers.map((answer, i) => [ids[i], expectRecorded(answer).position] as const),
    );

    const statusesRemembered = async () =>
      [...(await outbox.memory()).keys()].filter((key) => key.startsWith('status:'));
    await vi.waitFor(async () => expect(await statusesRemembered()).toHaveLength(PROGRAMS), {
      timeout: 10_000,
    });
    const deliveries = await outbox.deliveries('sub-1');
    expect(deliveries).toHaveLength(PROGRAMS);
    for (const d of deliveries) {
      const programId = JSON.parse(d.body).subject as string;
      expect(d.position).toBe(positions.get(programId));
    }
    // One transaction per event before; the burst now shares them.
    expect(outbox.commits).toBeLessThan(PROGRAMS / 2);
  });
});
