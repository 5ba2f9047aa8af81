import canonicalize from 'canonicalize';

/**
 * RFC 8785 canonical JSON of a value; a TypeError for BigInt, NaN, Infinity, lone surrogates and
 * undefined. Function members come out unparseable: storedData checks writers' data for that.
 */
export function canonicalJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (error) {
    throw new TypeError(`not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (text === undefined) throw new TypeError('not JSON: undefined');
  return text;
}
