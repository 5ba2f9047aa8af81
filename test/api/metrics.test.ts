/**
 * /metrics (issue 14 item 13): only for the holder of LEDGER_METRICS_TOKEN, and with the
 * figures an operator watches: tree size, the last checkpoint, the last verify outcome, and
 * the 401/403/429 answers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  expectProblem,
  METRICS_TOKEN,
  metricsText,
  metricValue,
  paths,
  recordFoundingCase,
  signCheckpoint,
  startApi,
  type TestApi,
} from './support.ts';

let api: TestApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

describe('/metrics', () => {
  it('refuses without the metrics token: no token, an API key, a wrong token', async () => {
    api = await startApi();
    for (const options of [
      { as: null },
      { as: 'admin' as const },
      { authorization: `Bearer ${METRICS_TOKEN}x` },
    ]) {
      const refused = await api.get('/metrics', options);
      expectProblem(refused, 401, 'unauthenticated');
      expect(refused.headers['www-authenticate']).toMatch(/^Bearer /);
      expect(refused.body).not.toContain('ledger_http');
    }
    expect(await metricsText(api)).toContain('ledger_http_request_duration_seconds');
  });

  it('with no LEDGER_METRICS_TOKEN set, refuses everyone and says why', async () => {
    api = await startApi({ env: { LEDGER_METRICS_TOKEN: undefined } });
    const refused = expectProblem(await api.get('/metrics', { as: 'admin' }), 401);
    expect(refused.detail).toContain('LEDGER_METRICS_TOKEN is not set');
  });

  it('tree size, the last checkpoint (size, age) and the last verify outcome', async () => {
    api = await startApi();
    await recordFoundingCase(api, { tdp: true });
    expect(await metricValue(api, 'ledger_tree_size')).toBe(5);
    expect(await metricValue(api, 'ledger_checkpoint_tree_size')).toBe(0);
    expect(await metricValue(api, 'ledger_checkpoint_age_seconds')).toBe(0);
    expect(await metricValue(api, 'ledger_last_verify_ok')).toBeNaN();
    expect(await metricValue(api, 'ledger_last_verify_timestamp_seconds')).toBe(0);

    await signCheckpoint(api);
    await api.post(paths.program('end'), { endedOn: '2008-01-01', reason: 'done' });
    expect(await metricValue(api, 'ledger_tree_size')).toBe(6);
    expect(await metricValue(api, 'ledger_checkpoint_tree_size')).toBe(5);
    expect(await metricValue(api, 'ledger_checkpoint_age_seconds')).toBeGreaterThanOrEqual(0);

    // A verify request refused before it ran tells nothing of the ledger.
    expectProblem(await api.get('/v1/ledger/verify', { as: null }), 401);
    expect(await metricValue(api, 'ledger_last_verify_ok')).toBeNaN();
    const before = Date.now() / 1000;
    expect((await api.get('/v1/ledger/verify')).data.ok).toBe(true);
    expect(await metricValue(api, 'ledger_last_verify_ok')).toBe(1);
    expect(await metricValue(api, 'ledger_last_verify_timestamp_seconds')).toBeGreaterThanOrEqual(
      Math.floor(before),
    );
  });

  it('counts 401, 403 and 429 answers', async () => {
    api = await startApi({ env: { LEDGER_RATE_LIMIT: '3' } });
    const refusals = (status: number) =>
      metricValue(api as TestApi, `ledger_http_refusals_total{status="${status}"}`);
    expect(await refusals(401)).toBe(0);
    expect(await refusals(403)).toBe(0);
    expect(await refusals(429)).toBe(0);

    expectProblem(await api.get('/v1/events', { as: null }), 401);
    expectProblem(await api.get('/v1/events', { as: 'revoked' }), 401);
    expectProblem(await api.post(paths.programs, {}, { as: 'auditor' }), 403);
    const answers = [];
    for (let i = 0; i < 4; i++)
      answers.push((await api.get('/v1/events', { as: 'admin' })).statusCode);
    expect(answers).toEqual([200, 200, 200, 429]);

    expect(await refusals(401)).toBe(2);
    expect(await refusals(403)).toBe(1);
    expect(await refusals(429)).toBe(1);
  });
});
