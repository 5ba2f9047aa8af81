/**
 * A client generated from the service's OpenAPI document by openapi-typescript (not the
 * project's code) type-checks: the operations named by their operationIds, the paths, parameters
 * and bodies a user writes against them; a call the document does not allow does not compile.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../scripts/openapi-document.ts';
import { REPO_ROOT } from '../reliability/support.ts';

// Inside the checkout, so the client's `openapi-fetch` import resolves from node_modules.
const folder = join(REPO_ROOT, 'test-output', `openapi-client-${process.pid}`);

beforeAll(async () => {
  mkdirSync(folder, { recursive: true });
  const types = astToString(await openapiTS(await openApiDocument()));
  writeFileSync(join(folder, 'api.ts'), types);
}, 120_000);
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** The compiler's complaints about `source`, compiled strictly beside the generated types. */
function diagnosticsOf(name: string, source: string): string[] {
  const file = join(folder, name);
  writeFileSync(file, source);
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    allowImportingTsExtensions: true,
    skipLibCheck: true,
    types: [],
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

const client = `
import createClient from 'openapi-fetch';
import type { operations, paths } from './api.ts';

const ledger = createClient<paths>({ baseUrl: 'http://127.0.0.1:3000' });
`;

describe('a client generated with openapi-typescript', () => {
  it('type-checks the calls a user writes: queries, commands, and operations by operationId', () => {
    const source = `${client}
export async function founding(): Promise<string> {
  const status = await ledger.GET('/v1/programs/{id}/status', {
    params: { path: { id: 'american-locker.1118e.private-market' }, query: { at: '2006-06-01' } },
  });
  const shipment = await ledger.POST('/v1/programs/{id}/shipments', {
    params: { path: { id: 'american-locker.1118e.private-market' }, header: { 'idempotency-key': 'sh-1' } },
    body: { shipmentId: 'sh-1', shippedOn: '2006-06-01', units: 10 },
  });
  const health = await ledger.GET('/healthz');
  type Status = operations['getProgramsStatus']['responses'][200]['content']['application/json'];
  const answer: Status | undefined = status.data;
  return [answer?.programId, shipment.data?.position, health.data?.status].join(' ');
}
`;
    expect(diagnosticsOf('client.ts', source)).toEqual([]);
  });

  it('refuses what the document does not allow (the check can fail)', () => {
    const source = `${client}
export async function wrong() {
  await ledger.GET('/v1/programs/{id}/status', { params: { path: { id: 7 } } });
  await ledger.POST('/v1/programs/{id}/shipments', {
    params: { path: { id: 'p' } },
    body: { shipmentId: 'sh-1', units: 'many' },
  });
  await ledger.GET('/v1/no-such-route');
}
`;
    expect(diagnosticsOf('wrong.ts', source).length).toBeGreaterThanOrEqual(3);
  });
});
