import type { Server } from 'node:http';
import { Socket } from 'node:net';

/**
 * At most `max` open connections from one address: one more is closed on arrival, before a
 * byte is read, so a single address cannot take the whole global cap (LEDGER_MAX_CONNECTIONS)
 * with slow requests and starve everyone else, /healthz included.
 */
export function limitConnectionsPerAddress(server: Server, max: number): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const count = (open.get(address) ?? 0) + 1;
    if (count > max) {
      socket.destroy();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left === 0) open.delete(address);
      else open.set(address, left);
    });
  });
}

/**
 * A refused request's connection (401, 403, 429) is closed once its answer is written, not kept
 * while the client trickles a body nobody will read until the request timeout. The client gets
 * a moment to read the answer before the socket is destroyed.
 */
export function closeAfterAnswer(socket: unknown): void {
  // Only a network connection: an injected request (tests) has none.
  if (!(socket instanceof Socket)) return;
  socket.end();
  setTimeout(() => socket.destroy(), 1_000).unref();
}
