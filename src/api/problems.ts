import { z } from 'zod';

/** RFC 9457 problem details; every error the API sends has this shape and a stable `type`. */
export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z
      .int()
      .min(100)
      .max(599)
      .meta({ examples: [422] }),
    detail: z.string(),
    instance: z.string().optional(),
    /** For validation problems: the bad fields, each named by its path (the first 20). */
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    /** For validation problems: how many bad fields there were; `errors` names the first 20. */
    errorCount: z.int().optional(),
    /** For domain refusals: the refusal's code. */
    code: z.string().optional(),
  })
  .meta({ id: 'Problem' });
export type Problem = z.infer<typeof Problem>;

/** What each status a route may answer with a problem means: one description for every route. */
const PROBLEM_STATUSES = {
  400: 'The request is not valid; `errors` names the bad fields (the first 20 of `errorCount`)',
  401: 'No API key, or one the ledger does not know',
  403: "The key's role may not do this",
  404: 'No such resource',
  409: 'The stream is not at the revision the client expected, or no checkpoint history is kept for a tree with leaves',
  412: 'If-Match does not match the stream revision',
  413: 'The body is too large',
  415: 'The body is not application/json',
  422: 'Refused by a business rule (`code` names it), or an Idempotency-Key reused',
  423: 'Signing is locked for this person after repeated wrong passphrases; an admin sets a new one',
  429: 'Too many requests; Retry-After says when to try again',
  500: 'The ledger failed; nothing internal is shown',
  501: 'This store does not offer it',
  503: 'The store cannot be reached or cannot write (disk full), or the read models are behind; Retry-After says when to retry',
} as const;
export type ProblemStatus = keyof typeof PROBLEM_STATUSES;

const problemResponse = (status: ProblemStatus) => ({
  description: PROBLEM_STATUSES[status],
  content: { 'application/problem+json': { schema: Problem } },
});
type ProblemResponse = ReturnType<typeof problemResponse>;

/** The OpenAPI `response` entries (problem+json) a route answers with besides its success. */
export const problemResponses = <S extends ProblemStatus>(...statuses: S[]) =>
  Object.fromEntries(statuses.map((status) => [status, problemResponse(status)])) as Record<
    S,
    ProblemResponse
  >;

export const problemType = (name: string) => `urn:compliance-ledger:problem:${name}`;

/**
 * An error that declares the API's answer for it where the error is defined (as fastify's
 * createError gives its errors a statusCode): the error handler reads these fields and names no
 * class, so a new error needs no edit elsewhere.
 */
export interface AnsweredError extends Error {
  readonly problemStatus: number;
  /** The problem type's last segment, under urn:compliance-ledger:problem:. */
  readonly problemType: string;
  readonly problemTitle: string;
  /** What the answer says; the error's message when absent. */
  readonly problemDetail?: string;
  /** Further members of the problem (a domain refusal's `code`). */
  readonly problemExtra?: Partial<Problem>;
  /** Sent as Retry-After. */
  readonly retryAfterSeconds?: number;
}

export function isAnsweredError(error: unknown): error is AnsweredError {
  const e = error as Partial<AnsweredError> | null;
  return (
    error instanceof Error &&
    typeof e?.problemStatus === 'number' &&
    typeof e.problemType === 'string' &&
    typeof e.problemTitle === 'string'
  );
}

/** An error a route raises with its answer spelled out. */
export class ProblemError extends Error implements AnsweredError {
  constructor(
    readonly problemStatus: number,
    readonly problemType: string,
    readonly problemTitle: string,
    detail: string,
    readonly problemExtra: Partial<Problem> = {},
  ) {
    super(detail);
  }
}

export const notFound = (detail: string) => new ProblemError(404, 'not-found', 'Not found', detail);
