import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HIDDEN_CHARACTERS } from '../../src/domain/index.ts';
import { anEvent } from '../eventstore/contract.ts';
import { extensionNotice, PROGRAM_ID, program } from '../support/founding-case.ts';
import {
  expectProblem,
  paths,
  recordFoundingCase,
  signCheckpoint,
  startApi,
  type TestApi,
} from './support.ts';

/** User text an attacker controls: a spreadsheet formula and raw HTML. */
const hostile = {
  ...extensionNotice,
  noticeId: 'hostile-1',
  documentRef: '=HYPERLINK("http://x.invalid","open")',
  summary: '<img src=x onerror=alert(1)> @SUM(A1)',
};

describe('GET /v1/programs/:id/audit-report', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi({ store: 'sqlite' });
    await recordFoundingCase(api, { tdp: true });
    expect((await api.post(paths.program('notices'), hostile)).statusCode).toBe(201);
    // Reports cite the last checkpoint kept (the service's cadence, here an admin's request).
    await signCheckpoint(api);
  });
  afterAll(() => api.close());

  const report = (format: string) =>
    api.get(`/v1/programs/${PROGRAM_ID}/audit-report?format=${format}&at=2007-06-01`, {
      as: 'auditor',
    });

  it('serves the HTML report, made at the signed checkpoint and verified', async () => {
    const html = await api.get(`/v1/programs/${PROGRAM_ID}/audit-report`, { as: 'auditor' });
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    for (const id of [
      'summary',
      'status',
      'timeline',
      'events',
      'violations',
      'backdated',
      'verification',
      'how-to-check',
    ])
      expect(html.body).toContain(`id="${id}"`);
    expect(html.body).toContain('position 6 (the signed checkpoint)');
    expect(html.body).toContain('Verification passed');
    expect(html.body).not.toContain('<img src=x');
    expect(html.body).toContain('&#60;img src=x');
  });

  it('the same content as JSON', async () => {
    const json = await report('json');
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    expect(json.data).toMatchObject({
      program: { programId: PROGRAM_ID },
      checkpoint: { treeSize: 6, origin: 'compliance-ledger.local/ledger' },
      verification: { ok: true, events: 6 },
      tool: { name: 'compliance-ledger' },
      status: { status: 'authorized', until: '2007-09-08' },
    });
    expect(json.data.entries).toHaveLength(5);
    expect(json.data.howToCheck.join(' ')).toMatch(
      /`compliance-ledger --store sqlite:<copy> audit/,
    );
  });

  it('CSV never starts a cell with a formula; Markdown carries no raw HTML', async () => {
    const csv = await report('csv');
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.body).toContain(`"'=HYPERLINK(""http://x.invalid"",""open"")"`);
    expect(csv.body).not.toMatch(/(^|,)"?=HYPERLINK/m);
    expect(csv.body).toMatch(/section,position,recordedAt/);
    const md = await report('md');
    expect(md.headers['content-type']).toMatch(/^text\/markdown/);
    expect(md.body).not.toContain('<img');
    expect(md.body).toContain('&#60;img src=x onerror=alert(1)&#62;');
    expect(md.body).toContain('&#39;=HYPERLINK');
    expect(md.body).not.toMatch(/\| =HYPERLINK/);
    expect(md.body).toMatch(/^# Audit report: american-locker\.1118e\.private-market$/m);
  });
});

describe('the audit report is whole-program work (issue 28, item 2)', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi({ store: 'sqlite', env: { LEDGER_HEAVY_PER_KEY: '1' } });
    await recordFoundingCase(api, { tdp: true });
    // A shipment of another program outside any authorization: a violation that is not ours.
    const other = 'other-locker';
    expect((await api.post(paths.programs, { ...program, programId: other })).statusCode).toBe(201);
    const shipped = await api.post(`/v1/programs/${other}/shipments`, {
      shipmentId: 'early',
      shippedOn: '2001-01-01',
      units: 1,
    });
    expect(shipped.statusCode, shipped.body).toBe(201);
  });
  afterAll(() => api.close());

  it('is capped per API key like every heavy request: the second in flight is 429', async () => {
    const url = `/v1/programs/${PROGRAM_ID}/audit-report?format=json`;
    const answers = await Promise.all([
      api.get(url, { as: 'auditor' }),
      api.get(url, { as: 'auditor' }),
    ]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 429]);
  });

  it("judges only the program's own shipments, as the whole ledger would", () => {
    const { queries } = api.app.ledger;
    const all = queries.violations();
    expect(all.some((v) => v.programId === 'other-locker')).toBe(true);
    expect(queries.violations(undefined, 'other-locker')).toEqual(
      all.filter((v) => v.programId === 'other-locker'),
    );
    expect(queries.violations(undefined, PROGRAM_ID)).toEqual(
      all.filter((v) => v.programId === PROGRAM_ID),
    );
    const backdated = queries.backdating(0);
    expect(queries.backdating(0, undefined, 'other-locker')).toEqual(
      backdated.filter((b) => b.stream !== `program-${PROGRAM_ID}`),
    );
  });
});

describe('output formats (issue 28, item 7)', () => {
  let api: TestApi;
  const reversed = 'Supply ends \u202Eorp 2020\u202C; see\u0000 letter';
  beforeAll(async () => {
    api = await startApi({ store: 'sqlite' });
    await recordFoundingCase(api);
    // An older record, from before the refusal: written to the store as it was then.
    await api.app.ledger.store.append(
      `program-${PROGRAM_ID}`,
      [
        anEvent({
          type: 'NoticeReceived',
          data: {
            ...extensionNotice,
            noticeId: 'old-1',
            summary: reversed,
            documentRef: '[x](javascript:alert(1)) ![](https://tracker.example/p.png)',
          },
        }),
      ],
      { expectedRevision: 'any' },
    );
    // Reports cite the last kept checkpoint: sign one that holds the older record.
    await signCheckpoint(api);
  });
  afterAll(() => api.close());

  const report = (format: string) =>
    api.get(`/v1/programs/${PROGRAM_ID}/audit-report?format=${format}`, { as: 'auditor' });

  it('no format carries a bidi control or NUL of an older record; Markdown has no link or image', async () => {
    for (const format of ['html', 'md', 'csv']) {
      const body = (await report(format)).body;
      expect(body, format).toContain('old-1');
      expect(body, format).not.toMatch(HIDDEN_CHARACTERS);
      expect(body, format).toMatch(/U\+202E/);
    }
    const md = (await report('md')).body;
    expect(md).not.toMatch(/\[x\]\(javascript:/);
    expect(md).not.toMatch(/!\[\]\(https:/);
  });

  it('free text with a control or bidi character is refused at input; tab and newline are kept', async () => {
    for (const [i, summary] of ['a\u202Eb', 'a\u2066b', 'a\u0000b', 'a\u001Bb'].entries())
      expectProblem(
        await api.post(paths.program('notices'), {
          ...extensionNotice,
          noticeId: `hidden-${i}`,
          summary,
        }),
        400,
      );
    const kept = await api.post(paths.program('notices'), {
      ...extensionNotice,
      noticeId: 'tabbed',
      summary: 'line one\n\tline two',
    });
    expect(kept.statusCode, kept.body).toBe(201);
  });

  it('the HTML report and /docs send a content security policy, nosniff and frame protection', async () => {
    const html = await report('html');
    expect(html.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(html.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    const docs = await api.get('/docs/', { as: null });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-security-policy']).toBeTruthy();
    for (const answer of [html, docs]) {
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.headers['x-frame-options']).toBe('DENY');
    }
  });
});
