/** Which failures mean "the database is not there right now", as opposed to a refused request. */
import { StoreUnavailableError } from '../errors.ts';

/** SQLSTATE classes and codes of a server going away, starting up, overloaded or too slow. */
const UNAVAILABLE_SQLSTATE = /^(08|53|57P)|^57014$/;
const UNAVAILABLE_SYSTEM = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
]);
const UNAVAILABLE_MESSAGE =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i;

export function isUnavailable(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_SYSTEM.has(code)))
    return true;
  if (error instanceof AggregateError) return error.errors.some(isUnavailable);
  return UNAVAILABLE_MESSAGE.test(error.message);
}

/** Runs `work`, turning an unavailable database into StoreUnavailableError. */
export async function reachable<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw isUnavailable(error) && !(error instanceof StoreUnavailableError)
      ? new StoreUnavailableError(error)
      : error;
  }
}
