import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_FAILED_ATTEMPTS } from '../../src/api/people.ts';
import { PROGRAM_ID } from '../support/founding-case.ts';
import {
  expectProblem,
  expectRecorded,
  expectValidationProblem,
  keyIdOf,
  paths,
  recordFoundingCase,
  registerSigner,
  SIGNING_PASSPHRASE,
  startApi,
  type TestApi,
} from './support.ts';

const PASSPHRASE = SIGNING_PASSPHRASE;
const registerJane = registerSigner;

async function allEvents(api: TestApi) {
  const page = await api.get('/v1/events?fromPosition=1&limit=1000');
  return page.data.events as {
    eventId: string;
    type: string;
    data: { events?: { eventId: string; hash: string }[] };
    metadata: { hash: string };
  }[];
}

// scrypt at N = 2^17 is slow by design (each check takes ~128 MiB and a fraction of a second,
// more on a busy machine): these tests get room beyond the default 30 s.
describe('signatures (21 CFR 11.50, 11.70, 11.200)', { timeout: 180_000 }, () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await startApi();
  });
  afterEach(async () => {
    await api.close();
  });

  it('an approval binds the hashes of exactly the events signed, and is shown where they are read', async () => {
    const seeded = await recordFoundingCase(api, { tdp: true });
    await registerJane(api);
    const signed = [seeded.notice.eventId, seeded.tdp?.eventId as string];
    const response = await api.post(
      '/v1/signatures',
      {
        eventIds: signed,
        meaning: 'approval',
        comment: 'checked against the letter',
        passphrase: PASSPHRASE,
      },
      { as: 'admin' },
    );
    const signature = expectRecorded(response);
    expect(signature.stream).toMatch(/^signatures-/);

    const events = await allEvents(api);
    const recorded = events.find((e) => e.eventId === signature.eventId);
    expect(recorded?.type).toBe('SignatureRecorded');
    const hashOf = (id: string) => events.find((e) => e.eventId === id)?.metadata.hash;
    expect(recorded?.data.events).toEqual(
      signed.map((eventId) => expect.objectContaining({ eventId, hash: hashOf(eventId) })),
    );
    // The passphrase is nowhere in the ledger or the credentials file.
    expect(JSON.stringify(events)).not.toContain(PASSPHRASE);
    expect(readFileSync(api.files.credentialsPath, 'utf8')).not.toContain(PASSPHRASE);

    const trail = await api.get(`/v1/programs/${PROGRAM_ID}/audit-trail`);
    expect(trail.statusCode, trail.body).toBe(200);
    const notice = trail.data.entries.find(
      (e: { eventId: string }) => e.eventId === seeded.notice.eventId,
    );
    expect(notice.signatures).toHaveLength(1);
    expect(notice.signatures[0]).toMatchObject({
      signatureId: signature.eventId,
      signer: 'Jane Doe',
      meaning: 'approval',
      hash: hashOf(seeded.notice.eventId),
    });
    expect(notice.signatures[0].statement).toMatch(
      /^Approved by Jane Doe on \d{4}-\d\d-\d\d \d\d:\d\d UTC: checked against the letter$/,
    );

    const status = await api.get(paths.status('at=2007-06-01'));
    expect(status.statusCode).toBe(200);
    const basis = status.data.basis.find(
      (b: { eventId: string }) => b.eventId === seeded.tdp?.eventId,
    );
    expect(basis.signatures.map((s: { statement: string }) => s.statement)).toEqual([
      notice.signatures[0].statement,
    ]);
    // As known before the signature, the basis shows none.
    const before = await api.get(paths.status(`at=2007-06-01&asKnownAt=${signature.position - 1}`));
    for (const b of before.data.basis) expect(b.signatures).toEqual([]);
  });

  it('a wrong passphrase records nothing, is counted, and locks signing after the limit', async () => {
    const seeded = await recordFoundingCase(api);
    const janeId = await registerJane(api);
    const sign = (passphrase: string) =>
      api.post(
        '/v1/signatures',
        { eventIds: [seeded.notice.eventId], meaning: 'review', passphrase },
        { as: 'admin' },
      );
    const before = await api.eventCount();
    for (let attempt = 1; attempt < MAX_FAILED_ATTEMPTS; attempt++) {
      const refused = expectProblem(
        await sign('not the passphrase'),
        403,
        'person/wrong-passphrase',
      );
      expect(refused.detail).toContain(`${MAX_FAILED_ATTEMPTS - attempt} more wrong attempt`);
    }
    expect(await api.eventCount()).toBe(before);
    const people = await api.get('/v1/people', { as: 'admin' });
    expect(people.data.people[0]).toMatchObject({
      id: janeId,
      failedAttempts: MAX_FAILED_ATTEMPTS - 1,
      lockedAt: null,
    });
    expect(JSON.stringify(people.data)).not.toMatch(/salt|scrypt/);

    expectProblem(await sign('still not the passphrase'), 403, 'person/wrong-passphrase');
    // Locked: even the right passphrase is refused now.
    expectProblem(await sign(PASSPHRASE), 423, 'person/locked');
    expect(await api.eventCount()).toBe(before);

    // An admin sets a new passphrase: unlocked, the count starts again.
    const reset = await api.call('PUT', `/v1/people/${janeId}/passphrase`, {
      as: 'admin',
      body: { passphrase: 'a brand new passphrase' },
    });
    expect(reset.data).toMatchObject({ failedAttempts: 0, lockedAt: null });
    expectRecorded(await sign('a brand new passphrase'));
    expect(await api.eventCount()).toBe(before + 1);
  });

  it('a person changes their own passphrase, proving the current one', async () => {
    await registerJane(api);
    const wrong = await api.post(
      '/v1/people/me/passphrase',
      { current: 'wrong wrong wrong', passphrase: 'another fine passphrase' },
      { as: 'admin' },
    );
    expectProblem(wrong, 403, 'person/wrong-passphrase');
    const changed = await api.post(
      '/v1/people/me/passphrase',
      { current: PASSPHRASE, passphrase: 'another fine passphrase' },
      { as: 'admin' },
    );
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.data.failedAttempts).toBe(0);
  });

  it('refuses signers who are not registered, signatures on signatures, and unknown events', async () => {
    const seeded = await recordFoundingCase(api);
    const body = { eventIds: [seeded.notice.eventId], meaning: 'approval', passphrase: PASSPHRASE };
    expectProblem(
      await api.post('/v1/signatures', body, { as: 'recorder' }),
      403,
      'person/not-registered',
    );
    await registerJane(api);
    const signature = expectRecorded(await api.post('/v1/signatures', body, { as: 'admin' }));
    const before = await api.eventCount();
    expectProblem(
      await api.post('/v1/signatures', { ...body, eventIds: [signature.eventId] }, { as: 'admin' }),
      422,
      'refused/not-signable',
    );
    expectProblem(
      await api.post(
        '/v1/signatures',
        { ...body, eventIds: ['0b8f4b5e-4d1e-4f57-9a53-1c2f3e4d5a6b'] },
        { as: 'admin' },
      ),
      404,
    );
    expectValidationProblem(
      await api.post('/v1/signatures', { ...body, meaning: 'endorsement' }, { as: 'admin' }),
    );
    expect(await api.eventCount()).toBe(before);
  });

  it('only admins manage people', async () => {
    expectProblem(await api.get('/v1/people', { as: 'recorder' }), 403, 'forbidden');
    expectProblem(
      await api.post(
        '/v1/people',
        { name: 'X Y', email: 'x@example.com', keyIds: [keyIdOf(api.keys.auditor)] },
        { as: 'auditor' },
      ),
      403,
      'forbidden',
    );
  });

  it('a signature on an event later retracted stays, and the trail says it was retracted', async () => {
    const seeded = await recordFoundingCase(api, { tdp: true });
    await registerJane(api);
    const tdpId = seeded.tdp?.eventId as string;
    expectRecorded(
      await api.post(
        '/v1/signatures',
        { eventIds: [tdpId], meaning: 'review', passphrase: PASSPHRASE },
        { as: 'admin' },
      ),
    );
    const retraction = expectRecorded(
      await api.post(paths.retractions(tdpId), { reason: 'date misread' }),
    );
    const trail = await api.get(`/v1/programs/${PROGRAM_ID}/audit-trail`);
    expect(trail.statusCode, trail.body).toBe(200);
    const tdp = trail.data.entries.find((e: { eventId: string }) => e.eventId === tdpId);
    expect(tdp.retractedBy).toBe(retraction.eventId);
    expect(tdp.signatures[0].meaning).toBe('review');
  });

  it('a retraction without a reason is refused 400 and records nothing (Annex 11 §9)', async () => {
    const seeded = await recordFoundingCase(api);
    const before = await api.eventCount();
    expect(
      expectValidationProblem(await api.post(paths.retractions(seeded.notice.eventId), {})),
    ).toEqual(['body.reason']);
    expectValidationProblem(
      await api.post(paths.retractions(seeded.notice.eventId), { reason: '   ' }),
    );
    expect(await api.eventCount()).toBe(before);
  });
});
