import canonicalize from 'canonicalize';

/** Payload equality as RFC 8785 canonical JSON: key order and absent-vs-undefined do not matter. */
export function samePayload(a: unknown, b: unknown): boolean {
  return canonicalize(a) === canonicalize(b);
}
