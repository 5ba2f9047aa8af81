/**
 * Issue 28, item 6: one address cannot starve the service. Connections per address are capped
 * (one more is closed on arrival), a refused request's socket is closed once answered, and
 * /healthz is not counted by the address rate limit. A listening server, raw sockets.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startApi, type TestApi } from './support.ts';

let api: TestApi | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await api?.close();
  api = undefined;
});

async function listening(env: Record<string, string>): Promise<number> {
  api = await startApi({ env });
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  const address = api.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening');
  return address.port;
}

/** Opens a socket; resolves with it once connected. */
function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
    sockets.push(socket);
  });
}

/** Resolves 'closed' when the server closes the socket, or 'open' after `ms`. */
function closedWithin(socket: Socket, ms: number): Promise<'closed' | 'open'> {
  return new Promise((resolve) => {
    if (socket.destroyed || socket.readableEnded) return resolve('closed');
    const timer = setTimeout(() => resolve('open'), ms);
    const done = () => {
      clearTimeout(timer);
      resolve('closed');
    };
    socket.once('end', done);
    socket.once('close', done);
    socket.once('error', done);
  });
}

describe('one address cannot starve the service', () => {
  it('closes a connection over the per-address cap on arrival; a freed place serves again', async () => {
    const port = await listening({ LEDGER_MAX_CONNECTIONS_PER_ADDRESS: '3' });
    const held = [await open(port), await open(port), await open(port)];
    const extra = await open(port);
    expect(await closedWithin(extra, 3_000)).toBe('closed');
    for (const s of held) expect(await closedWithin(s, 50)).toBe('open');
    held[0]?.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
  });

  it('closes the socket of a refused request once answered, while its body is still owed', async () => {
    const port = await listening({});
    const socket = await open(port);
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('utf8');
    });
    // A slow-body request with no key: headers only, 1,000 body bytes promised, none sent.
    socket.write(
      'POST /v1/programs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
    );
    // Bounded well below the 30 s request timeout that kept it before.
    expect(await closedWithin(socket, 5_000)).toBe('closed');
    expect(answer).toMatch(/^HTTP\/1\.1 401/);
  });

  it('/healthz is not counted by the address rate limit', async () => {
    const port = await listening({ LEDGER_ADDRESS_RATE_LIMIT: '2' });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await fetch(`http://127.0.0.1:${port}/healthz`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const counted: number[] = [];
    for (let i = 0; i < 3; i++)
      counted.push((await fetch(`http://127.0.0.1:${port}/v1/me`)).status);
    expect(counted).toEqual([401, 401, 429]);
  });
});
