/**
 * Issue 14, item 3: a request trickled one byte at a time does not hold its connection for
 * ever (LEDGER_REQUEST_TIMEOUT_MS, LEDGER_HEADERS_TIMEOUT_MS), and the server holds at most
 * LEDGER_MAX_CONNECTIONS connections open at once.
 */
import { once } from 'node:events';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLedgerFiles,
  type LedgerFiles,
  removeAllFiles,
  type ServerProcess,
  startServer,
  stopAllServers,
} from './support.ts';

let files: LedgerFiles;
let server: ServerProcess;
const open: net.Socket[] = [];

beforeAll(async () => {
  files = createLedgerFiles({ recorder: 'recorder' });
  server = await startServer(files, {
    env: {
      LEDGER_REQUEST_TIMEOUT_MS: '1000',
      LEDGER_HEADERS_TIMEOUT_MS: '500',
      LEDGER_MAX_CONNECTIONS: '3',
    },
  });
});
afterAll(async () => {
  for (const socket of open) socket.destroy();
  await stopAllServers();
  removeAllFiles();
});

async function connect(): Promise<net.Socket> {
  const socket = net.connect(server.port, '127.0.0.1');
  open.push(socket);
  // A connection the server refuses is reset: the test reads that as its close.
  socket.on('error', () => {});
  await once(socket, 'connect');
  return socket;
}

/** Everything the server sent until it closed the connection. */
function answerAndClose(socket: net.Socket): Promise<string> {
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('utf8');
  });
  return new Promise((resolve) => socket.once('close', () => resolve(received)));
}

/** Sends `text` one byte per `everyMs` until the socket closes. */
function trickle(socket: net.Socket, text: string, everyMs: number): void {
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || i >= text.length) return clearInterval(timer);
    socket.write(text[i++] as string);
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}

describe('slow clients', () => {
  it('answers 408 and closes a connection whose body trickles in', async () => {
    const socket = await connect();
    const closed = answerAndClose(socket);
    const body = JSON.stringify({ shipmentId: 'slow', shippedOn: '2024-03-01', units: 1 });
    socket.write(
      [
        'POST /v1/programs/slow/shipments HTTP/1.1',
        'Host: 127.0.0.1',
        `Authorization: Bearer ${files.keys.recorder?.key}`,
        'Content-Type: application/json',
        `Content-Length: ${body.length}`,
        '',
        '',
      ].join('\r\n'),
    );
    trickle(socket, body, 200);
    expect(await closed).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes a connection whose headers never end', async () => {
    const socket = await connect();
    const closed = answerAndClose(socket);
    trickle(
      socket,
      'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa',
      200,
    );
    expect(await closed).toMatch(/^HTTP\/1\.1 408/);
  });
});

describe('connection limit', () => {
  it('closes connections beyond LEDGER_MAX_CONNECTIONS on arrival, and serves again after', async () => {
    const held = await Promise.all([connect(), connect(), connect()]);
    const extra = await connect();
    const closed = answerAndClose(extra);
    extra.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(await closed).toBe('');
    for (const socket of held) socket.destroy();
    await expect.poll(async () => (await server.get('/healthz')).status).toBe(200);
  });
});
