import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extensionNotice, PROGRAM_ID } from '../support/founding-case.ts';
import {
  expectProblem,
  expectRecorded,
  expectValidationProblem,
  keyIdOf,
  paths,
  recordFoundingCase,
  signCheckpoint,
  startApi,
  type TestApi,
} from './support.ts';

interface Entry {
  eventId: string;
  type: string;
  content: string;
  recordedBy: string;
  keyId: string | null;
  person: string | null;
  retracts: string | null;
  retractedBy: string | null;
  corrects: string | null;
  correctedBy: string | null;
  change: string | null;
}

const REASON = 'the letter was received on 2005-12-09, not 2005-12-08';
const corrected = { ...extensionNotice, receivedOn: '2005-12-09' };

async function trail(api: TestApi): Promise<Entry[]> {
  const response = await api.get(`/v1/programs/${PROGRAM_ID}/audit-trail`);
  expect(response.statusCode, response.body).toBe(200);
  return response.data.entries;
}

/** Jane Doe holds the recorder key (no passphrase: she records, she does not sign here). */
async function registerRecorderPerson(api: TestApi) {
  const added = await api.post(
    '/v1/people',
    { name: 'Jane Doe', email: 'jane.doe@example.com', keyIds: [keyIdOf(api.keys.recorder)] },
    { as: 'admin' },
  );
  expect(added.statusCode, added.body).toBe(201);
}

/** The founding case's notice retracted with REASON, then recorded as corrected. */
async function correctTheNotice(api: TestApi) {
  const { notice } = await recordFoundingCase(api);
  const retraction = expectRecorded(
    await api.post(paths.retractions(notice.eventId), { reason: REASON }),
  );
  const correction = expectRecorded(
    await api.post(paths.program('notices'), { ...corrected, corrects: notice.eventId }),
  );
  return { notice, retraction, correction };
}

describe('corrections (Annex 11 §9, 21 CFR 11.10(e)) and the person in the audit trail', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await startApi();
  });
  afterEach(async () => {
    await api.close();
  });

  it('a correction links both ways and leaves the original visible, with why, who and when', async () => {
    await registerRecorderPerson(api);
    const { notice, retraction, correction } = await correctTheNotice(api);
    const entries = await trail(api);
    const byId = (id: string) => entries.find((e) => e.eventId === id) as Entry;

    const original = byId(notice.eventId);
    expect(original.type).toBe('NoticeReceived');
    expect(original.content).toContain('2005-12-08');
    expect(original).toMatchObject({
      retractedBy: retraction.eventId,
      correctedBy: correction.eventId,
      corrects: null,
    });
    expect(original.change).toMatch(
      new RegExp(
        `^Retracted on \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2} UTC by Jane Doe \\(key recorder-client\\): ${REASON}; corrected by event ${correction.eventId}$`,
      ),
    );
    expect(byId(retraction.eventId)).toMatchObject({ retracts: notice.eventId, change: null });
    const fixed = byId(correction.eventId);
    expect(fixed).toMatchObject({
      type: 'NoticeReceived',
      corrects: notice.eventId,
      correctedBy: null,
      retractedBy: null,
    });
    expect(fixed.content).toContain('2005-12-09');
    // The correction is what the status now rests on; the retracted original is not.
    const status = await api.get(paths.status('at=2006-01-01'));
    expect(status.statusCode, status.body).toBe(200);
    const basis = status.data.basis.map((b: { eventId: string }) => b.eventId);
    expect(basis).toContain(correction.eventId);
    expect(basis).not.toContain(notice.eventId);
  });

  it('refuses a correction of an unknown, unretracted, already corrected or other-type event, recording nothing', async () => {
    const { notice, correction } = await correctTheNotice(api);
    const before = await api.eventCount();
    const attempts: [unknown, string][] = [
      [
        { ...corrected, noticeId: 'n-unknown', corrects: '00000000-0000-4000-8000-000000000000' },
        'refused/not-a-correction',
      ],
      [
        { ...corrected, noticeId: 'n-again', corrects: notice.eventId },
        'refused/already-corrected',
      ],
      [
        { ...corrected, noticeId: 'n-unretracted', corrects: correction.eventId },
        'refused/not-retracted',
      ],
    ];
    for (const [body, type] of attempts)
      expectProblem(await api.post(paths.program('notices'), body), 422, type);
    // A shipment cannot stand in for a retracted notice.
    expectProblem(
      await api.post(paths.program('shipments'), {
        shipmentId: 's-1',
        shippedOn: '2006-01-02',
        units: 10,
        corrects: notice.eventId,
      }),
      422,
      'refused/not-a-correction',
    );
    expect(await api.eventCount()).toBe(before);
  });

  it('a correction is refused until the original is retracted, and a retraction needs its reason', async () => {
    const { notice } = await recordFoundingCase(api);
    const before = await api.eventCount();
    // Its own id is still taken by the original, which says how to correct it.
    expectProblem(
      await api.post(paths.program('notices'), { ...corrected, corrects: notice.eventId }),
      422,
      'refused/notice-id-conflict',
    );
    expectProblem(
      await api.post(paths.program('notices'), {
        ...corrected,
        noticeId: 'usps-2005-12-09',
        corrects: notice.eventId,
      }),
      422,
      'refused/not-retracted',
    );
    expectValidationProblem(await api.post(paths.retractions(notice.eventId), {}));
    expect(await api.eventCount()).toBe(before);
  });

  it('names the person behind the key where one is registered, and only the key otherwise', async () => {
    await recordFoundingCase(api);
    const unnamed = await trail(api);
    expect(unnamed[0]).toMatchObject({
      recordedBy: 'recorder-client',
      keyId: keyIdOf(api.keys.recorder),
      person: null,
    });
    await registerRecorderPerson(api);
    const named = await trail(api);
    expect(named.every((e) => e.person === 'Jane Doe')).toBe(true);
  });

  it('the audit report shows the person and both links in HTML, CSV, Markdown and JSON', async () => {
    await registerRecorderPerson(api);
    const { notice, correction } = await correctTheNotice(api);
    await signCheckpoint(api);
    const report = (format: string) =>
      api.get(`/v1/programs/${PROGRAM_ID}/audit-report?format=${format}`, { as: 'auditor' });

    const html = await report('html');
    expect(html.statusCode, html.body).toBe(200);
    expect(html.body).toContain('by Jane Doe (key recorder-client)');
    expect(html.body).toContain(`corrected by <code>${correction.eventId}</code>`);
    expect(html.body).toContain(`corrects <code>${notice.eventId}</code>`);
    expect(html.body).toContain(`${REASON}; corrected by event ${correction.eventId}`);

    for (const format of ['csv', 'md']) {
      const text = (await report(format)).body;
      const original = text
        .split('\n')
        .find((l) => l.includes('event (retracted)') && l.includes(notice.eventId));
      expect(original, format).toContain('Jane Doe (key recorder-client)');
      expect(text).toContain(`${REASON}; corrected by event ${correction.eventId}`);
      expect(text).toMatch(new RegExp(`${correction.eventId}.*${notice.eventId}`));
    }

    const json = JSON.parse((await report('json')).body) as { entries: Entry[] };
    const original = json.entries.find((e) => e.eventId === notice.eventId);
    expect(original).toMatchObject({ person: 'Jane Doe', correctedBy: correction.eventId });
    expect(json.entries.find((e) => e.eventId === correction.eventId)?.corrects).toBe(
      notice.eventId,
    );
  });
});
