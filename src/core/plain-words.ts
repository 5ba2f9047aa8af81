/**
 * Validation messages in words a compliance officer reads without knowing zod: "required",
 * "a whole number", "a date as YYYY-MM-DD", instead of "Too small: expected string to have >=1
 * characters". The console's forms, the CLI and the service's start-up install it once
 * (`z.config({ customError: plainWords })`); a schema's own message, where it gave one, wins.
 */
import type { z } from 'zod';

type Issue = z.core.$ZodRawIssue;

const kinds: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'yes or no',
  object: 'a group of fields',
  array: 'a list',
  date: 'a date',
};

const formats: Record<string, string> = {
  date: 'a date as YYYY-MM-DD, e.g. 2006-04-08',
  datetime: 'a moment as YYYY-MM-DDThh:mm:ssZ, e.g. 2005-12-08T09:00:00Z',
  uuid: 'an id such as 0f8fad5b-d9cb-469f-a165-70867728950e',
  url: 'a web address',
  email: 'an e-mail address',
  regex: 'in the expected form',
};

function sizeOf(issue: Issue & { origin?: string }, limit: number | bigint): string {
  if (issue.origin === 'string') return limit === 1 ? 'filled in' : `${limit} characters`;
  if (issue.origin === 'array' || issue.origin === 'set')
    return limit === 1 ? 'one entry' : `${limit} entries`;
  return String(limit);
}

export function plainWords(issue: Issue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined || issue.input === null) return 'required';
      const received = typeof issue.input === 'number' && Number.isNaN(issue.input);
      const expected = kinds[issue.expected] ?? issue.expected;
      return received ? `not a number: enter ${expected}` : `must be ${expected}`;
    }
    case 'too_small': {
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return 'required';
      const least = sizeOf(issue, issue.minimum);
      return issue.inclusive === false
        ? `must be more than ${least}`
        : issue.origin === 'string' || issue.origin === 'array'
          ? `must have at least ${least}`
          : `must be at least ${least}`;
    }
    case 'too_big': {
      const most = sizeOf(issue, issue.maximum);
      return issue.inclusive === false
        ? `must be less than ${most}`
        : issue.origin === 'string' || issue.origin === 'array'
          ? `must have at most ${most}`
          : `must be at most ${most}`;
    }
    case 'invalid_format':
      return `must be ${formats[issue.format] ?? `in the form ${issue.format}`}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}`
        : `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}`;
    case 'invalid_union':
      return 'does not match any of the accepted forms';
    default:
      return undefined;
  }
}
