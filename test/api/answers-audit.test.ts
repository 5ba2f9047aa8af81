import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { programFacts } from '../../projections/program-facts.ts';
import { AuditFailure } from '../../src/cli/audit.ts';
import { auditServedAnswers } from '../../src/cli/audit-answers.ts';
import { readLedger } from '../../src/integrity/verify-ledger.ts';
import { PROGRAM_ID, program } from '../support/founding-case.ts';
import { paths, recordFoundingCase, startApi, type TestApi } from './support.ts';

/** The served answers made to differ: the TDP date changed inside the running read model. */
function tamperReadModel(api: TestApi): void {
  const facts = api.app.ledger.projections.state(programFacts);
  const tdp = [...facts.specifications.values()]
    .flat()
    .find((f) => f.type === 'TechnicalDataPackageReleased');
  if (tdp?.type !== 'TechnicalDataPackageReleased') throw new Error('no TDP release recorded');
  tdp.data.releasedOn = '9999-05-08';
}

describe('answers checked against a rebuild from the events', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi({ store: 'sqlite' });
    await recordFoundingCase(api, { tdp: true });
    const other = { ...program, programId: 'other.program' };
    expect((await api.post(paths.programs, other)).statusCode).toBe(201);
  });
  afterAll(() => api.close());

  const get = async (path: string, options: { absent?: 'null' } = {}) => {
    const response = await api.get(path, { as: 'auditor' });
    if (response.statusCode === 404 && options.absent === 'null') return null;
    expect(response.statusCode, response.body).toBe(200);
    return response.data;
  };

  it('pass while the read models equal a rebuild', async () => {
    const verified = await api.get('/v1/ledger/verify?answers=true', { as: 'auditor' });
    expect(verified.statusCode).toBe(200);
    expect(verified.data).toMatchObject({
      ok: true,
      answers: { ok: true, programs: 2, position: 6, difference: null },
    });
    const head = await api.app.ledger.store.headPosition();
    await expect(auditServedAnswers(get, readLedger(api.app.ledger.store), head)).resolves.toEqual({
      programs: 2,
      position: 6,
      skipped: [],
    });
  });

  it('name the program whose served answer differs, on the server and in the auditor tool', async () => {
    tamperReadModel(api);
    const served = await api.get(`/v1/programs/${PROGRAM_ID}/status?at=2009-01-01`, {
      as: 'auditor',
    });
    expect(served.data.status).toBe('authorized');

    const verified = await api.get('/v1/ledger/verify?answers=true', { as: 'auditor' });
    expect(verified.data.ok).toBe(false);
    expect(verified.data.answers.difference).toMatch(
      new RegExp(
        `^program ${PROGRAM_ID.replaceAll('.', '\\.')}: the running read model (answers|gives)`,
      ),
    );
    // Without the option the hash chains alone still pass: they cannot see a read model.
    expect((await api.get('/v1/ledger/verify', { as: 'auditor' })).data.ok).toBe(true);

    const head = await api.app.ledger.store.headPosition();
    const audit = auditServedAnswers(get, readLedger(api.app.ledger.store), head, '2009-01-01');
    await expect(audit).rejects.toThrow(AuditFailure);
    await expect(audit).rejects.toThrow(
      `answers differ: program ${PROGRAM_ID}: the server answers authorized`,
    );
  });
});
