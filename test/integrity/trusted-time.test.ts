/**
 * Trusted time (docs/design.md "Trusted time"): each published checkpoint gets an RFC 3161
 * token from a timestamping authority that is not the project's code (`openssl ts -reply`
 * behind a listening test server), kept in the store, carried by receipts, and checked by
 * `openssl ts -verify` as well as by the offline verifier.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import {
  checkpointText,
  TimestampError,
  timestampImprint,
  type VerifiedTimestamp,
  verifyCheckpoint,
  verifyReceipt,
  verifyReceiptTimestamp,
  verifyTimestampToken,
} from '../../src/verify.ts';
import { recordFoundingCase, startApi, type TestApi } from '../api/support.ts';
import { PROGRAM_ID } from '../support/founding-case.ts';
import { ledgerBinary } from '../support/ledger-binary.ts';
import {
  OPENSSL,
  type OpensslTsa,
  opensslAvailable,
  startOpensslTsa,
} from '../support/openssl-tsa.ts';

const available = opensslAvailable();
if (!available && process.env.LEDGER_REQUIRE_OPENSSL === '1')
  throw new Error(`LEDGER_REQUIRE_OPENSSL=1 but no openssl binary at ${OPENSSL}`);
if (!available) console.warn(`trusted-time suite skipped: no openssl binary at ${OPENSSL}`);

describe.skipIf(!available)('trusted time (RFC 3161)', () => {
  let tsa: OpensslTsa;
  let api: TestApi;
  let verifierKey = '';
  const started = new Date();
  const file = (name: string, content: string | Uint8Array) => {
    const path = join(api.files.dir, name);
    writeFileSync(path, content);
    return path;
  };
  const lastCheckpoint = async () => {
    const response = await api.get('/v1/ledger/checkpoint', { as: 'auditor' });
    expect(response.statusCode, response.body).toBe(200);
    return response.data as { note: string; timestampToken: string | null };
  };

  /** The last checkpoint once it has its token (the authority up); any test may run alone. */
  const stamped = async () => {
    tsa.down = false;
    await vi.waitFor(async () => expect((await lastCheckpoint()).timestampToken).not.toBeNull(), {
      timeout: 10_000,
      interval: 50,
    });
    return (await lastCheckpoint()) as { note: string; timestampToken: string };
  };

  beforeAll(async () => {
    tsa = await startOpensslTsa();
    tsa.down = true;
    api = await startApi({
      store: 'sqlite',
      env: {
        LEDGER_TSA_URL: tsa.url,
        LEDGER_TSA_CA_FILE: tsa.caFile,
        LEDGER_CHECKPOINT_INTERVAL_MS: '100',
      },
    });
    verifierKey = (await api.get('/v1/ledger/checkpoint/public-key', { as: 'auditor' })).data
      .verifierKey;
  });
  afterAll(async () => {
    await api?.close();
    await tsa?.close();
  });

  it('an authority that is down holds up neither writes nor checkpoints; the token comes when it is back', async () => {
    await recordFoundingCase(api, { tdp: true });
    // The cadence (every 100 ms here) signs and publishes the grown tree all the same.
    await vi.waitFor(
      async () =>
        expect(await lastCheckpoint()).toMatchObject({
          treeSize: 5,
          timestampToken: null,
        }),
      { timeout: 10_000, interval: 50 },
    );
    expect(tsa.answered).toBe(0);

    tsa.down = false;
    await vi.waitFor(async () => expect((await lastCheckpoint()).timestampToken).not.toBeNull(), {
      timeout: 10_000,
      interval: 50,
    });
    expect(tsa.answered).toBe(1);
  });

  it('the token kept verifies with `openssl ts -verify` against the authority CA, and offline', async () => {
    const { note, timestampToken } = await stamped();
    const checkpoint = verifyCheckpoint(note, verifierKey);
    const token = Buffer.from(timestampToken as string, 'base64');
    const text = checkpointText(checkpoint);
    const tokenFile = file('checkpoint.tst', token);
    const openssl = (...args: string[]) =>
      execFileSync(
        OPENSSL,
        ['ts', '-verify', '-in', tokenFile, '-token_in', '-CAfile', tsa.caFile, ...args],
        {
          stdio: 'pipe',
        },
      ).toString();
    expect(openssl('-data', file('checkpoint.txt', text))).toContain('Verification: OK');
    expect(openssl('-digest', Buffer.from(timestampImprint(text)).toString('hex'))).toContain(
      'Verification: OK',
    );

    const verified = verifyTimestampToken(token, text, tsa.caPem);
    expect(verified.authority).toBe('CN=Test TSA');
    const genTime = Date.parse(verified.genTime);
    expect(genTime).toBeGreaterThanOrEqual(Math.floor(started.getTime() / 1000) * 1000);
    expect(genTime).toBeLessThanOrEqual(Date.now());
  });

  it('a receipt carries the token of the checkpoint it cites, checked offline', async () => {
    const response = await api.get(`/v1/programs/${PROGRAM_ID}/status/receipt?at=2007-09-10`, {
      as: 'auditor',
    });
    expect(response.statusCode, response.body).toBe(200);
    const body = verifyReceipt(response.body, verifierKey);
    expect(body.checkpoint.treeSize).toBe(5);
    expect(body.checkpoint.timestamp).toBe((await stamped()).timestampToken);
    expect(verifyReceiptTimestamp(body, tsa.caPem).authority).toBe('CN=Test TSA');

    // openssl agrees, given only what the receipt states.
    const { timestamp, ...cited } = body.checkpoint;
    const text = checkpointText({ ...cited, rootHash: Buffer.from(cited.rootHash, 'base64') });
    const verify = spawnSync(OPENSSL, [
      'ts',
      '-verify',
      '-data',
      file('receipt-checkpoint.txt', text),
      '-in',
      file('receipt.tst', Buffer.from(timestamp as string, 'base64')),
      '-token_in',
      '-CAfile',
      tsa.caFile,
    ]);
    expect(verify.stdout.toString()).toContain('Verification: OK');

    // What an inspector runs.
    file('receipt.txt', response.body);
    file('server.vkey', `${verifierKey}\n`);
    const ledger = ledgerBinary(api.files.dir);
    const run = await ledger(
      'receipt',
      'verify',
      'receipt.txt',
      '--public-key',
      'server.vkey',
      '--tsa-ca',
      tsa.caFile,
    );
    expect(run, run.stderr).toMatchObject({ code: 0 });
    expect(run.stdout).toMatch(
      /^its checkpoint was timestamped by CN=Test TSA at \d{4}-\d\d-\d\dT[\d:.]+Z \(RFC 3161\)$/m,
    );
  }, 60_000);

  it('no byte of a token can be changed to make it state something else (property)', async () => {
    const { note, timestampToken } = await stamped();
    const text = checkpointText(verifyCheckpoint(note, verifierKey));
    const token = Buffer.from(timestampToken as string, 'base64');
    const stated = verifyTimestampToken(token, text, tsa.caPem);
    fc.assert(
      fc.property(fc.nat(token.length - 1), fc.integer({ min: 1, max: 255 }), (at, mask) => {
        const altered = Buffer.from(token);
        altered[at] = (altered[at] as number) ^ mask;
        let verified: VerifiedTimestamp;
        try {
          verified = verifyTimestampToken(altered, text, tsa.caPem);
        } catch (error) {
          // Refused in words, never a crash of the parser.
          expect(error).toBeInstanceOf(TimestampError);
          return;
        }
        // A byte nothing signs (e.g. the outer digest algorithm list) may change: never what it states.
        expect(verified).toEqual(stated);
      }),
      { numRuns: 400 },
    );
  });

  it('fails closed: another checkpoint, an altered token, another CA', async () => {
    const { note, timestampToken } = await stamped();
    const checkpoint = verifyCheckpoint(note, verifierKey);
    const token = Buffer.from(timestampToken as string, 'base64');
    const other = checkpointText({ ...checkpoint, treeSize: checkpoint.treeSize + 1 });
    expect(() => verifyTimestampToken(token, other, tsa.caPem)).toThrow(
      /^timestamp: it timestamps another text than this checkpoint$/,
    );
    const openssl = spawnSync(OPENSSL, [
      'ts',
      '-verify',
      '-data',
      file('other.txt', other),
      '-in',
      file('t.tst', token),
      '-token_in',
      '-CAfile',
      tsa.caFile,
    ]);
    expect(openssl.status).not.toBe(0);

    // One digit of genTime (GeneralizedTime, tag 0x18, 15 bytes) changed: the signature no longer covers it.
    const at = token.findIndex((byte, i) => byte === 0x18 && token[i + 1] === 0x0f);
    expect(at).toBeGreaterThan(0);
    const altered = Buffer.from(token);
    altered[at + 2] = altered[at + 2] === 0x32 ? 0x33 : 0x32;
    expect(() => verifyTimestampToken(altered, checkpointText(checkpoint), tsa.caPem)).toThrow(
      TimestampError,
    );

    const elsewhere = join(api.files.dir, 'other-ca');
    execFileSync(
      OPENSSL,
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        `${elsewhere}.key`,
        '-out',
        `${elsewhere}.crt`,
        '-days',
        '1',
        '-subj',
        '/CN=Other CA',
      ],
      { stdio: 'pipe' },
    );
    const otherCa = execFileSync(OPENSSL, ['x509', '-in', `${elsewhere}.crt`]).toString();
    expect(() => verifyTimestampToken(token, checkpointText(checkpoint), otherCa)).toThrow(
      /^timestamp: the authority certificate does not chain to a trusted certificate$/,
    );
  });
});

describe('trusted time settings', () => {
  it('names the authority and its CA together, and refuses a CA file that cannot be read', async () => {
    await expect(
      startApi({ env: { LEDGER_TSA_URL: 'https://tsa.example.com/tsr' } }),
    ).rejects.toThrow(
      'LEDGER_TSA_CA_FILE: not set: LEDGER_TSA_URL and LEDGER_TSA_CA_FILE are set together (the authority and the CA its tokens chain to)',
    );
    expect(() =>
      loadConfig({ LEDGER_TSA_URL: 'ftp://tsa.example.com', LEDGER_TSA_CA_FILE: 'ca.pem' }),
    ).toThrow(/^invalid configuration: LEDGER_TSA_URL: /);
    await expect(
      startApi({
        env: {
          LEDGER_TSA_URL: 'http://127.0.0.1:1/tsr',
          LEDGER_TSA_CA_FILE: '/nonexistent/tsa-ca.pem',
        },
      }),
    ).rejects.toThrow(
      /^LEDGER_TSA_CA_FILE \/nonexistent\/tsa-ca\.pem: cannot be read \(.*\): name the PEM file of the timestamping authority's CA$/,
    );
  });
});
