import { setTimeout as sleep } from 'node:timers/promises';

/** Attempts in all, the first included. */
const MAX_ATTEMPTS = 5;
/** The first wait; each further one doubles, with full jitter so racing writers spread out. */
const FIRST_BACKOFF_MS = 5;

/** Runs `attempt` until it succeeds, `retriable` says no, or the attempts are spent. */
export async function retrying<T>(
  attempt: () => Promise<T>,
  retriable: (error: unknown) => boolean,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (n >= MAX_ATTEMPTS || !retriable(error)) throw error;
      await sleep(Math.random() * FIRST_BACKOFF_MS * 2 ** (n - 1));
    }
  }
}
