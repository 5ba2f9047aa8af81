/**
 * The rules every operation of the OpenAPI document follows, applied in one place (openapi.ts)
 * rather than route by route, so client generators find the same shape everywhere.
 */
import { STATUS_CODES } from 'node:http';

const words = (segment: string) =>
  segment
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0]?.toUpperCase() + word.slice(1))
    .join('');

/**
 * An operationId from the method and the path: the method, then the path's words without the
 * version, a parameter named only when it ends the path (`By<Name>`). `GET
 * /v1/programs/:id/status` is `getProgramsStatus`, `GET /v1/events/:eventId`
 * `getEventsByEventId`, `POST /v1/ledger/checkpoints` `postLedgerCheckpoints`.
 */
export function operationIdOf(method: string | readonly string[], url: string): string {
  const verb = (Array.isArray(method) ? method[0] : method).toLowerCase();
  const segments = url.split('/').filter((segment) => segment !== '' && segment !== 'v1');
  const named = segments.map((segment, i) => {
    const parameter = /^[:{](\w+)}?$/.exec(segment)?.[1];
    if (parameter === undefined) return words(segment);
    return i === segments.length - 1 ? `By${words(parameter)}` : '';
  });
  return verb + named.join('');
}

type Responses = Record<string, unknown> | undefined;

/**
 * Every response described: a route's own words when it gave some, else what the status means
 * in HTTP ("OK", "Created"), never @fastify/swagger's "Default Response".
 */
export function describedResponses(responses: Responses): Responses {
  if (responses === undefined) return undefined;
  return Object.fromEntries(
    Object.entries(responses).map(([status, response]) => {
      const given = response as { description?: string } | null;
      if (given === null || typeof given !== 'object' || given.description !== undefined)
        return [status, response];
      return [status, { ...given, description: STATUS_CODES[Number(status)] ?? 'Answer' }];
    }),
  );
}

/**
 * The document without the component schemas nothing refers to (zod's registry holds every
 * schema given an id, also those only used inside others that were inlined).
 */
export function withoutUnusedSchemas<D>(document: D): D {
  const { components, ...rest } = document as {
    components?: { schemas?: Record<string, unknown> };
  };
  const schemas = components?.schemas;
  if (schemas === undefined) return document;
  const referenced = (value: unknown) =>
    new Set(
      [...JSON.stringify(value).matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) =>
        decodeURIComponent(m[1] as string),
      ),
    );
  // What the paths use, then what those schemas use, until nothing new is found.
  const used = referenced(rest);
  for (let grown = true; grown; ) {
    grown = false;
    for (const name of used)
      for (const inner of referenced(schemas[name]))
        if (!used.has(inner)) {
          used.add(inner);
          grown = true;
        }
  }
  return {
    ...document,
    components: {
      ...components,
      schemas: Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name))),
    },
  };
}
