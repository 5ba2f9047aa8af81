import { z } from 'zod';

/** RFC 9457 problem details; every error the API sends has this shape and a stable `type`. */
export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    instance: z.string().optional(),
    /** For validation problems: every bad field, named by its path. */
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    /** For domain refusals: the refusal's code. */
    code: z.string().optional(),
  })
  .meta({ id: 'Problem' });
export type Problem = z.infer<typeof Problem>;

export const problemType = (name: string) => `urn:compliance-ledger:problem:${name}`;

/** An error that already knows the problem it is. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly problem: string,
    readonly title: string,
    detail: string,
    readonly extra: Partial<Problem> = {},
  ) {
    super(detail);
  }
}

export const notFound = (detail: string) => new ProblemError(404, 'not-found', 'Not found', detail);
