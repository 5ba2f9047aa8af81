/**
 * One HTTP POST of a delivery, bounded: a timeout over the whole exchange, redirects not
 * followed (a 3xx is a failure like any other non-2xx), at most RESPONSE_CAP bytes of the answer
 * read. Nothing here logs; the caller logs outcomes without headers, so the signature and the
 * secret behind it never reach a log.
 */
import http from 'node:http';
import https from 'node:https';

export const RESPONSE_CAP = 16 * 1024;

export interface SendOutcome {
  /** The HTTP status, or null when no answer came (refused, reset, timed out). */
  status: number | null;
  /** Why there was no answer; null when one came. */
  error: string | null;
  latencyMs: number;
  /** The start of the answer's body, at most RESPONSE_CAP bytes. */
  body: string;
}

export function send(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  cancel?: AbortSignal,
): Promise<SendOutcome> {
  const started = performance.now();
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  const payload = Buffer.from(body, 'utf8');
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: Omit<SendOutcome, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      cancel?.removeEventListener('abort', abort);
      resolve({ ...outcome, latencyMs: Math.round(performance.now() - started) });
    };
    const request = client.request(target, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(payload.length) },
      agent: false,
    });
    const timer = setTimeout(() => {
      request.destroy();
      finish({ status: null, error: `no answer within ${timeoutMs} ms`, body: '' });
    }, timeoutMs);
    const abort = () => {
      request.destroy();
      finish({ status: null, error: 'cancelled', body: '' });
    };
    if (cancel?.aborted) abort();
    else cancel?.addEventListener('abort', abort, { once: true });
    request.on('error', (error: NodeJS.ErrnoException) =>
      finish({ status: null, error: error.code ?? error.message, body: '' }),
    );
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () =>
        finish({
          status: response.statusCode ?? null,
          error: null,
          body: Buffer.concat(chunks).toString('utf8').slice(0, RESPONSE_CAP),
        });
      response.on('data', (chunk: Buffer) => {
        if (size >= RESPONSE_CAP) return;
        chunks.push(chunk.subarray(0, RESPONSE_CAP - size));
        size += chunk.length;
        // Enough read: the rest of a large answer is not waited for.
        if (size >= RESPONSE_CAP) {
          done();
          response.destroy();
        }
      });
      response.on('end', done);
      response.on('error', done);
    });
    request.end(payload);
  });
}
