/**
 * The service's logs (docs/design.md, "Logs"): one line per request at info, written when it is
 * answered; JSON when the output is not a terminal, one readable line with LOG_FORMAT=pretty.
 * The real entry point, spawned, its output piped (as a container's log is).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createLedgerFiles, removeAllFiles, startServer, stopAllServers } from './support.ts';

afterAll(async () => {
  await stopAllServers();
  removeAllFiles();
});

/** Waits until `found` holds for the server's output (a request's line follows its answer). */
async function lines(output: () => string, found: (text: string) => boolean): Promise<string[]> {
  for (let i = 0; i < 200 && !found(output()); i++) await new Promise((r) => setTimeout(r, 50));
  return output().split('\n').filter(Boolean);
}

describe('request logs', () => {
  it('piped: JSON, one line per request, naming method, path, status and time', async () => {
    const server = await startServer(createLedgerFiles(), { env: { LOG_LEVEL: 'info' } });
    const answered = await server.get('/readyz?probe=logs-1');
    expect(answered.status).toBe(200);
    const all = await lines(server.output, (text) => text.includes('probe=logs-1'));
    const about = all.filter((line) => line.includes('probe=logs-1'));
    expect(about).toHaveLength(1);
    const entry = JSON.parse(about[0] as string);
    expect(entry).toMatchObject({
      level: 30,
      method: 'GET',
      url: '/readyz?probe=logs-1',
      statusCode: 200,
      msg: expect.stringMatching(/^GET \/readyz\?probe=logs-1 200 \d+ ms$/),
    });
    expect(entry.reqId).toMatch(/\S/);
    // The listening line names the version, the store and where to go.
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default;
    expect(all.find((line) => line.includes('listening at'))).toMatch(
      new RegExp(
        `compliance-ledger ${version} listening at (http://127\\.0\\.0\\.1:\\d+) on sqlite:\\S+: console \\1/console/, API docs \\1/docs, metrics \\1/metrics`,
      ),
    );
    // fastify's own "incoming request" / "request completed" pair is off.
    expect(all.some((line) => /incoming request|request completed/.test(line))).toBe(false);
    await server.stop('SIGTERM');
  });

  it('LOG_FORMAT=pretty: one readable line per request, no JSON', async () => {
    const server = await startServer(createLedgerFiles(), {
      env: { LOG_LEVEL: 'info', LOG_FORMAT: 'pretty' },
    });
    await server.get('/readyz?probe=logs-2');
    const all = await lines(server.output, (text) => text.includes('probe=logs-2'));
    // One line: the request's fields are not repeated on lines of their own below it.
    const about = all.filter((line) => line.includes('probe=logs-2'));
    expect(about).toHaveLength(1);
    expect(about[0]).toMatch(/INFO.*GET \/readyz\?probe=logs-2 200 \d+ ms/);
    expect(all.filter((line) => line.startsWith('{'))).toEqual([]);
    await server.stop('SIGTERM');
  });
});
