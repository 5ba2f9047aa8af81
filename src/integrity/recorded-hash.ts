/**
 * hashEvent (src/core/event-hash.ts) for verify's hot path: the same SHA-256 of the same RFC
 * 8785 text, built faster. A value read back from JSON whose object members already stand in
 * RFC 8785 order serialises under JSON.stringify exactly as RFC 8785 writes it (strings and
 * numbers are written alike, section 3.2.2), so the text comes from one native JSON.stringify
 * after a walk that checks the order. Anything the walk cannot vouch for (members out of order,
 * an escaped surrogate, undefined, a class instance, a deep tree) goes to hashEvent itself. It
 * never trusts a stored text: the text hashed is rebuilt from the parsed values.
 */
import { hash } from 'node:crypto';
import { type HashableEvent, hashEvent } from '../core/event-hash.ts';

/** Equal to hashEvent(event) for every event (test/integrity/recorded-hash.unit.test.ts). */
export function recordedHash(event: HashableEvent): string {
  const metadata = event.metadata as object;
  if (metadata === null || Object.getPrototypeOf(metadata) !== Object.prototype) {
    return hashEvent(event);
  }
  // The envelope hashEvent hashes, its members in RFC 8785 order, metadata without `hash` and
  // with its members sorted (stores keep them in writing order).
  const sorted: Record<string, unknown> = {};
  for (const key of sortedKeys(Object.keys(metadata))) {
    // Assigned, __proto__ would set the copy's prototype instead of making a member.
    if (key === '__proto__') return hashEvent(event);
    if (key !== 'hash') sorted[key] = (metadata as Record<string, unknown>)[key];
  }
  const envelope = {
    data: event.data,
    eventId: event.eventId,
    metadata: sorted,
    revision: event.revision,
    stream: event.stream,
    type: event.type,
  };
  if (!inCanonicalOrder(envelope, 0)) return hashEvent(event);
  const text = JSON.stringify(envelope);
  // JSON.stringify escapes a lone surrogate as \udXXX, which RFC 8785 refuses: hashEvent says so
  // (it also gets an escaped backslash before "ud", which is only slower).
  if (text.includes('\\ud')) return hashEvent(event);
  return hash('sha256', text, 'hex');
}

/** The keys sorted; every event of a ledger has the same few, in the same order, so one sort. */
let seen: { keys: string[]; sorted: string[] } = { keys: [], sorted: [] };
function sortedKeys(keys: string[]): string[] {
  if (keys.length !== seen.keys.length || keys.some((key, i) => key !== seen.keys[i])) {
    seen = { keys, sorted: [...keys].sort() };
  }
  return seen.sorted;
}

/** As deep as canonicalJson's own fast path goes. */
const MAX_DEPTH = 1000;

/**
 * True when JSON.stringify(value) is its RFC 8785 text, but for lone surrogates: only JSON
 * values (null, booleans, finite numbers, strings, arrays without holes, plain objects without
 * toJSON and without undefined members) whose members are in strictly increasing UTF-16 order
 * as enumerated (the order JSON.stringify writes them in, integer-like keys first).
 */
function inCanonicalOrder(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (depth > MAX_DEPTH) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++)
          if (!(i in value) || !inCanonicalOrder(value[i], depth + 1)) return false;
        return true;
      }
      const prototype = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) return false;
      const object = value as Record<string, unknown>;
      if (typeof object.toJSON === 'function') return false;
      let previous: string | undefined;
      for (const key of Object.keys(object)) {
        if (previous !== undefined && !(previous < key)) return false;
        const member = object[key];
        if (member === undefined || !inCanonicalOrder(member, depth + 1)) return false;
        previous = key;
      }
      return true;
    }
    default:
      return false;
  }
}
