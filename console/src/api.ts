import createClient from 'openapi-fetch';
import type { components, paths } from './generated/api';

/** The API's shapes, as this service's own OpenAPI document states them. */
export type Schemas = components['schemas'];
export type Role = Schemas['Principal']['role'];

const KEY_SLOT = 'compliance-ledger.api-key';

/**
 * The API key lives in sessionStorage only (gone when the tab closes) and travels in the
 * Authorization header only, never in a URL.
 */
export const apiKey = {
  get: (): string | null => sessionStorage.getItem(KEY_SLOT),
  set: (key: string) => sessionStorage.setItem(KEY_SLOT, key),
  clear: () => sessionStorage.removeItem(KEY_SLOT),
};

export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use({
  onRequest({ request }) {
    const key = apiKey.get();
    if (key) request.headers.set('authorization', `Bearer ${key}`);
    return request;
  },
});

/** An RFC 9457 problem answered by the API, carried as an error the pages can show. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
  ) {
    super(`${title}: ${detail}`);
  }
}

/** The answer's data, or an ApiProblem with the problem's title and detail. */
export async function answer<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (data !== undefined && response.ok) return data;
  const problem = (error ?? {}) as { title?: string; detail?: string };
  throw new ApiProblem(
    response.status,
    problem.title ?? response.statusText,
    problem.detail ?? `the API answered ${response.status}`,
  );
}
