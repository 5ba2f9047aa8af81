/** Stream names of DESIGN §4 "Aggregates and streams": built and parsed here only. */
const PROGRAM_PREFIX = 'program-';
const SPECIFICATION_PREFIX = 'specification-';
const SIGNATURES_PREFIX = 'signatures-';

export const streams = {
  specification: (specificationId: string) => `${SPECIFICATION_PREFIX}${specificationId}`,
  program: (programId: string) => `${PROGRAM_PREFIX}${programId}`,
  /** One person's signatures (docs/design.md "Signatures"). */
  signatures: (personId: string) => `${SIGNATURES_PREFIX}${personId}`,
};

/** The aggregate a stream belongs to, from its name; null for a stream the ledger does not name. */
export function streamOwner(
  stream: string,
): { kind: 'program' | 'specification'; id: string } | null {
  if (stream.startsWith(PROGRAM_PREFIX))
    return { kind: 'program', id: stream.slice(PROGRAM_PREFIX.length) };
  if (stream.startsWith(SPECIFICATION_PREFIX))
    return { kind: 'specification', id: stream.slice(SPECIFICATION_PREFIX.length) };
  return null;
}
