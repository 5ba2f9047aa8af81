/**
 * API keys (issue 14 items 7 and 8, issue 18): an Idempotency-Key is scoped by the key's id,
 * which each event records beside `recordedBy`; key names are unique; the credentials file is
 * watched, and a bad one while running keeps the last good keys.
 */
import { readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { addKey, DuplicateKeyNameError, type StoredKey } from '../../src/api/credentials.ts';
import { canonicalJson } from '../../src/core/canonical-json.ts';
import { leafInput } from '../../src/core/merkle-leaf.ts';
import { program, SUCCESSOR_SPEC } from '../support/founding-case.ts';
import {
  createTestFiles,
  expectRecorded,
  paths,
  registerSpecifications,
  startApi,
  type TestApi,
  type TestFiles,
} from './support.ts';

const secondProgram = {
  programId: 'acme.1118f.regulator-purchased',
  supplierId: 'acme',
  specificationId: SUCCESSOR_SPEC,
  channel: 'regulator-purchased',
  regulator: 'USPS',
};

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const keyed = (key: string, idempotencyKey: string) => ({
  ...bearer(key),
  headers: { 'idempotency-key': idempotencyKey },
});

const credentialsOf = (files: TestFiles): { version: 1; keys: StoredKey[] } =>
  JSON.parse(readFileSync(files.credentialsPath, 'utf8'));
const writeCredentials = (files: TestFiles, keys: StoredKey[]) =>
  writeFileSync(files.credentialsPath, `${JSON.stringify({ version: 1, keys }, null, 2)}\n`);

/** How long the tests wait for the server to notice a change of the file (a bound, not a figure). */
const NOTICED = { timeout: 10_000, interval: 20 };

let api: TestApi | undefined;
let files: TestFiles | undefined;
afterEach(async () => {
  await api?.close();
  files?.remove();
  api = undefined;
  files = undefined;
});

describe('the API key, not its holder name, scopes an Idempotency-Key', () => {
  it('two keys whose holders share a name keep their own Idempotency-Keys; each event records its key id', async () => {
    files = createTestFiles();
    const first = addKey(files.credentialsPath, 'clerk', 'recorder');
    const second = addKey(files.credentialsPath, 'clerk-2', 'recorder');
    // As a credentials file from before names were unique could hold them.
    const stored = credentialsOf(files);
    for (const k of stored.keys) if (k.id === second.entry.id) k.name = 'clerk';
    writeCredentials(files, stored.keys);
    api = await startApi({ files });
    await registerSpecifications(api);

    const mine = expectRecorded(
      await api.post(paths.programs, program, keyed(first.key, 'register')),
    );
    // The same Idempotency-Key from the other "clerk" is a request of its own, not a replay
    // of (or a clash with) the first one's.
    const theirs = await api.post(paths.programs, secondProgram, keyed(second.key, 'register'));
    expect(expectRecorded(theirs).eventId).not.toBe(mine.eventId);
    const retried = await api.post(paths.programs, secondProgram, keyed(second.key, 'register'));
    expect(retried.statusCode).toBe(201);
    expect(retried.data).toEqual(theirs.data);

    const events = (await api.get('/v1/events')).data.events;
    const metadataOf = (eventId: string) =>
      events.find((e: { eventId: string }) => e.eventId === eventId)?.metadata;
    expect(metadataOf(mine.eventId)).toMatchObject({ recordedBy: 'clerk', keyId: first.entry.id });
    expect(metadataOf(theirs.data.eventId)).toMatchObject({
      recordedBy: 'clerk',
      keyId: second.entry.id,
    });
    // The key id is part of the hashed envelope and of the Merkle leaf, as served.
    for (const event of events)
      expect(Buffer.from(leafInput(event)).toString('utf8')).toBe(canonicalJson(event));
    expect((await api.get('/v1/ledger/verify')).data.ok).toBe(true);
  });

  it('a key name is unique in the credentials file, revoked keys included', () => {
    files = createTestFiles();
    const before = readFileSync(files.credentialsPath, 'utf8');
    const { credentialsPath } = files;
    expect(() => addKey(credentialsPath, 'recorder-client', 'admin')).toThrow(
      DuplicateKeyNameError,
    );
    expect(() => addKey(credentialsPath, 'former-client', 'recorder')).toThrow(
      /a key named former-client exists already \(id [0-9a-f]{8}, revoked\)/,
    );
    expect(readFileSync(credentialsPath, 'utf8')).toBe(before);
  });
});

describe('the credentials file while the server runs', () => {
  it('a change a stat would miss (same size, same modification time) takes effect', async () => {
    files = createTestFiles();
    const { credentialsPath } = files;
    // A whole second, as filesystems with a coarse clock record it.
    const second = Math.floor(statSync(credentialsPath).mtimeMs / 1000);
    utimesSync(credentialsPath, second, second);
    api = await startApi({ files });

    // Another auditor key in the place of the auditor's: every field the same length.
    const scratch = join(files.dir, 'scratch.json');
    const replacement = addKey(scratch, 'auditor-client', 'auditor');
    const stored = credentialsOf(files);
    const keys = stored.keys.map((k) => (k.name === 'auditor-client' ? replacement.entry : k));
    const size = statSync(credentialsPath).size;
    writeCredentials(files, keys);
    utimesSync(credentialsPath, second, second);
    expect(statSync(credentialsPath).size).toBe(size);
    expect(statSync(credentialsPath).mtimeMs).toBe(second * 1000);

    const session = api;
    await vi.waitFor(async () => {
      expect((await session.get('/v1/me', bearer(replacement.key))).statusCode).toBe(200);
    }, NOTICED);
    expect((await session.get('/v1/me', { as: 'auditor' })).statusCode).toBe(401);
  });

  it('turned corrupt or missing: the last good keys stay and an error is logged; a good file is read again', async () => {
    files = createTestFiles();
    const { credentialsPath } = files;
    const good = credentialsOf(files);
    api = await startApi({ files });
    const session = api;
    const logged = vi.spyOn(session.app.log, 'error');
    const errorsLogged = () => logged.mock.calls.map((call) => String(call[0]));

    writeFileSync(credentialsPath, '{"version": 1, "keys": [');
    expect((await session.get('/v1/events')).statusCode).toBe(200);
    await vi.waitFor(() => {
      expect(errorsLogged()).toContain(
        `credentials file ${credentialsPath} is not JSON: the last good keys stay in force`,
      );
    }, NOTICED);
    expect((await session.get('/v1/events')).statusCode).toBe(200);

    rmSync(credentialsPath);
    await vi.waitFor(() => {
      expect(errorsLogged()).toContain(
        `credentials file ${credentialsPath} does not exist: the last good keys stay in force`,
      );
    }, NOTICED);
    expect((await session.get('/v1/events', { as: 'auditor' })).statusCode).toBe(200);

    // Back, with the recorder's key revoked: read again and in force.
    const revokedAt = new Date().toISOString();
    writeCredentials(
      files,
      good.keys.map((k) => (k.name === 'recorder-client' ? { ...k, revokedAt } : k)),
    );
    await vi.waitFor(async () => {
      expect((await session.get('/v1/events')).statusCode).toBe(401);
    }, NOTICED);
    expect((await session.get('/v1/events', { as: 'auditor' })).statusCode).toBe(200);
  });

  it('at start, a corrupt or missing file stops the start with one line naming it', async () => {
    files = createTestFiles();
    const { credentialsPath } = files;
    writeFileSync(credentialsPath, 'not json');
    await expect(startApi({ files })).rejects.toThrow(
      expect.objectContaining({ message: `credentials file ${credentialsPath} is not JSON` }),
    );
    writeFileSync(credentialsPath, JSON.stringify({ version: 1, keys: [{ id: 'x' }] }));
    await expect(startApi({ files })).rejects.toThrow(
      /^credentials file .* is not valid: keys\.0\.name: [^\n]+$/,
    );
    rmSync(credentialsPath);
    await expect(startApi({ files })).rejects.toThrow(
      expect.objectContaining({ message: `credentials file ${credentialsPath} does not exist` }),
    );
  });
});
