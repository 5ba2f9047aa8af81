/**
 * When a failed delivery is tried again: exponential backoff from FIRST_DELAY_MS, capped at
 * MAX_DELAY_MS, each delay drawn between half and all of it (jitter, so receivers that fail
 * together are not retried together), and no more tries once RETRY_SPAN_MS has passed since the
 * first attempt. The last try is the first one due after the span, so retries cover at least 24 h.
 */
export const FIRST_DELAY_MS = 5_000;
export const MAX_DELAY_MS = 4 * 60 * 60 * 1000;
export const RETRY_SPAN_MS = 24 * 60 * 60 * 1000;

/**
 * The instant (ms) of the next attempt after attempt number `attempts` (1 = the first) failed at
 * `failedAt`, or null when the delivery is given up. `random` is in [0, 1).
 */
export function nextAttemptAt(
  attempts: number,
  firstAttemptAt: number,
  failedAt: number,
  random: number,
): number | null {
  if (failedAt - firstAttemptAt >= RETRY_SPAN_MS) return null;
  const full = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (attempts - 1));
  return failedAt + Math.round(full / 2 + (full / 2) * random);
}
