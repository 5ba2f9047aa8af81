/**
 * The service's own OpenAPI document, as /openapi.json serves it: the app is built on an
 * in-memory ledger and asked for it. Run directly, it writes the document to the file named
 * (what `npm run check` lints with Redocly).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OpenAPI3 } from 'openapi-typescript';
import { buildApp } from '../src/api/app.ts';
import { ensureCredentials } from '../src/api/credentials.ts';
import { loadConfig } from '../src/config.ts';

export async function openApiDocument(): Promise<OpenAPI3> {
  const scratch = mkdtempSync(join(tmpdir(), 'ledger-openapi-'));
  try {
    const credentials = join(scratch, 'credentials.json');
    ensureCredentials(credentials);
    const app = await buildApp(
      loadConfig({ LEDGER_STORE: 'memory:', LEDGER_CREDENTIALS: credentials, LOG_LEVEL: 'silent' }),
    );
    try {
      return (await app.inject({ url: '/openapi.json' })).json();
    } finally {
      await app.close();
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (out === undefined) throw new Error('usage: tsx scripts/openapi-document.ts <file>');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(await openApiDocument(), null, 2)}\n`);
}
