import canonicalize from 'canonicalize';

/**
 * RFC 8785 canonical JSON of a value; a TypeError for BigInt, NaN, Infinity, lone surrogates and
 * undefined. Function members come out unparseable: storedData checks writers' data for that.
 *
 * Plain JSON values (what JSON.parse gives: the ledger's data and envelopes) are written by
 * plainCanonical; anything else, and every refusal, is the canonicalize library's.
 */
export function canonicalJson(value: unknown): string {
  const plain = plainCanonical(value);
  if (plain !== undefined) return plain;
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (error) {
    throw new TypeError(`not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (text === undefined) throw new TypeError('not JSON: undefined');
  return text;
}

const LONE_SURROGATE = /\p{Cs}/u;
/** Deeper than any ledger payload; a cycle is left to the library, which names it. */
const MAX_DEPTH = 1000;

/**
 * RFC 8785 of a value made only of null, booleans, finite numbers, strings without lone
 * surrogates, arrays and objects without toJSON: strings and numbers as JSON.stringify writes
 * them (RFC 8785 section 3.2.2), members sorted by UTF-16 code units, undefined members left
 * out, as the library does. Undefined for anything else, so the library decides.
 */
function plainCanonical(value: unknown, depth = 0): string | undefined {
  switch (typeof value) {
    case 'string':
      return LONE_SURROGATE.test(value) ? undefined : JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : undefined;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (depth > MAX_DEPTH) return undefined;
      return Array.isArray(value)
        ? plainArray(value, depth + 1)
        : plainObject(value as Record<string, unknown>, depth + 1);
    default:
      return undefined;
  }
}

function plainArray(items: readonly unknown[], depth: number): string | undefined {
  let text = '[';
  for (let i = 0; i < items.length; i++) {
    const item = plainCanonical(items[i], depth);
    if (item === undefined) return undefined;
    text += i === 0 ? item : `,${item}`;
  }
  return `${text}]`;
}

function plainObject(object: Record<string, unknown>, depth: number): string | undefined {
  if (typeof object.toJSON === 'function') return undefined;
  let text = '';
  for (const key of Object.keys(object).sort()) {
    const member = object[key];
    if (member === undefined) continue;
    const json = plainCanonical(member, depth);
    if (json === undefined || LONE_SURROGATE.test(key)) return undefined;
    text += `,${JSON.stringify(key)}:${json}`;
  }
  return `{${text.slice(1)}}`;
}
