/**
 * Why the service did not start, as one line naming the setting to fix and an exit code
 * (README, "Configuration"): never a stack trace. Each start step says which setting it reads;
 * a failure is told in that setting's words.
 */

import { isUnavailable } from './eventstore/postgres/index.ts';
import { isCannotWrite } from './eventstore/write-health.ts';

/** The service's exit codes when it cannot start (BSD sysexits). */
export const START_EXIT = {
  /** A setting is invalid: fix the environment. */
  config: 78,
  /** Something a setting names is not there or not usable (store unreachable, port taken). */
  unavailable: 69,
  /** Anything else; the message says what. */
  failure: 1,
} as const;

/** A start that failed: `message` is the one line to print. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/**
 * Runs one start step that reads `setting` (or one of several: the function picks it from the
 * error), telling its failure as a StartupError.
 */
export async function startStep<T>(
  setting: string | ((error: unknown) => string),
  step: () => T | Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof StartupError) throw error;
    throw describe(typeof setting === 'string' ? setting : setting(error), error);
  }
}

function describe(setting: string, error: unknown): StartupError {
  const message = oneLine(error instanceof Error ? error.message : String(error));
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'EADDRINUSE')
    return new StartupError(
      `${setting}: the address is in use (${message}): stop the process holding it or choose another PORT`,
      START_EXIT.unavailable,
    );
  if (code === 'EACCES' || code === 'EADDRNOTAVAIL')
    return new StartupError(
      `${setting}: cannot listen (${message}): choose another HOST or PORT`,
      START_EXIT.unavailable,
    );
  if (isCannotWrite(error) || isUnavailable(error))
    return new StartupError(
      `${setting}: cannot be reached or written (${message}): check that it is up and has space, then start again`,
      START_EXIT.unavailable,
    );
  return new StartupError(
    `${setting}: ${message}: correct the setting and start again`,
    START_EXIT.config,
  );
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();
