/** The service's signing cadence: at start, then each interval, never two signatures at once. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startCheckpointCadence } from '../../src/integrity/checkpoint-cadence.ts';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** A stand-in whose signatures finish only when the test says so. */
function signer() {
  const pending: (() => void)[] = [];
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    finish: () => pending.shift()?.(),
    latest: () => {
      calls++;
      return new Promise<never>((resolve) => pending.push(() => resolve(undefined as never)));
    },
  };
}

describe('startCheckpointCadence', () => {
  it('signs at start, then once per interval, skipping ticks while one is in flight', async () => {
    const s = signer();
    const started = startCheckpointCadence(s, 1000, () => {});
    s.finish();
    const cadence = await started;
    expect(s.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(s.calls).toBe(2);
    await vi.advanceTimersByTimeAsync(5000);
    expect(s.calls).toBe(2);
    s.finish();
    await vi.advanceTimersByTimeAsync(1000);
    expect(s.calls).toBe(3);
    s.finish();
    await cadence.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(s.calls).toBe(3);
  });

  it('with interval 0 signs only at start; a failed signature is reported, not thrown', async () => {
    const errors: unknown[] = [];
    const failing = { latest: () => Promise.reject(new Error('disk full')) };
    const cadence = await startCheckpointCadence(failing, 0, (e) => errors.push(e));
    expect(errors).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(errors).toHaveLength(1);
    await cadence.stop();
  });
});
