import { setTimeout as sleep } from 'node:timers/promises';

/** The first wait; each further one doubles up to MAX_BACKOFF_MS, with full jitter so racing writers spread out. */
const FIRST_BACKOFF_MS = 5;
const MAX_BACKOFF_MS = 100;

/** How long a command goes on deciding again when nobody gave it a deadline (the CLI). */
export const DEFAULT_RETRY_MS = 30_000;

/**
 * Other writers kept moving the stream until the command's deadline: nothing was recorded. Not
 * a conflict of the client's making (it stated no revision), so the API answers 503.
 */
export class StreamContendedError extends Error {
  override readonly name = 'StreamContendedError';
  /** The API's answer (api/plugins/errors.ts reads these; nothing there names this class). */
  readonly problemStatus = 503;
  readonly problemType = 'stream-contended';
  readonly problemTitle = 'Stream busy';
  readonly retryAfterSeconds = 1;
  constructor(
    readonly stream: string,
    readonly attempts: number,
  ) {
    super(
      `stream ${stream} was written by others ${attempts} times while this command was being decided; nothing was recorded: send it again (with the same Idempotency-Key)`,
    );
  }
}

/**
 * Runs `attempt` until it succeeds or fails with an error `retriable` does not retry; a
 * retriable failure past `deadline` (epoch ms) becomes StreamContendedError.
 */
export async function retrying<T>(
  stream: string,
  attempt: () => Promise<T>,
  retriable: (error: unknown) => boolean,
  deadline: number,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!retriable(error)) throw error;
      const wait = Math.random() * Math.min(FIRST_BACKOFF_MS * 2 ** (n - 1), MAX_BACKOFF_MS);
      if (Date.now() + wait >= deadline) throw new StreamContendedError(stream, n);
      await sleep(wait);
    }
  }
}
