/**
 * A real webhook receiver on loopback for the alert suites: it keeps every request it got and
 * answers each as the test's script says (a status, or no answer at all until released).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CloudEvent, HTTP } from 'cloudevents';
import { Webhook } from 'standardwebhooks';

export interface Received {
  headers: Record<string, string>;
  body: string;
  /** The status answered; null while the request is held. */
  answered: number | null;
}

/** What to answer the n-th request (0-based): a status, 'hang' (no answer until released), or a redirect. */
export type Answer = number | 'hang' | { redirect: string } | { bytes: number };

export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  /** Answers every held request with `status`, and later ones by the script again. */
  release(status?: number): void;
  setScript(script: (n: number) => Answer): void;
  close(): Promise<void>;
}

export async function startReceiver(script: (n: number) => Answer = () => 200): Promise<Receiver> {
  const received: Received[] = [];
  const held: { entry: Received; res: http.ServerResponse }[] = [];
  let answer = script;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, String(v)]),
      );
      const entry: Received = {
        headers,
        body: Buffer.concat(chunks).toString('utf8'),
        answered: null,
      };
      const what = answer(received.length);
      received.push(entry);
      if (what === 'hang') {
        held.push({ entry, res });
        return;
      }
      if (typeof what === 'number') {
        entry.answered = what;
        res.writeHead(what).end('ok');
      } else if ('redirect' in what) {
        entry.answered = 302;
        res.writeHead(302, { location: what.redirect }).end();
      } else {
        entry.answered = 200;
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(Buffer.alloc(what.bytes, 'x'));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const release = (status = 200) => {
    for (const { entry, res } of held.splice(0)) {
      entry.answered = status;
      if (!res.destroyed) res.writeHead(status).end();
    }
  };
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    release,
    setScript(next) {
      answer = next;
    },
    async close() {
      release(503);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * What a receiver does with a delivery: verify it with the Standard Webhooks library (throws if
 * the signature, id or timestamp is wrong) and read it with the CloudEvents SDK.
 */
// biome-ignore lint/suspicious/noExplicitAny: alert data is checked field by field by the tests
type AlertData = Record<string, any>;

export function verifiedEvent(secret: string, delivery: Received): CloudEvent<AlertData> {
  new Webhook(secret).verify(delivery.body, delivery.headers);
  const event = HTTP.toEvent({ headers: delivery.headers, body: delivery.body });
  if (Array.isArray(event)) throw new Error('a batch, not one event');
  return event as CloudEvent<AlertData>;
}
