/**
 * Trusted time (docs/design.md "Trusted time"): asks a configured RFC 3161 timestamping
 * authority to timestamp a checkpoint, and checks the token it answers before it is kept. The
 * request names SHA-256 of the checkpoint's text, a fresh nonce and asks for the authority's
 * certificate in the token (certReq), so an auditor needs only the authority's CA.
 */
import { randomBytes } from 'node:crypto';
import {
  timestampImprint,
  timestampTokenOf,
  type VerifiedTimestamp,
  verifyTimestampToken,
} from '../verify.ts';

export interface TimestampAuthority {
  /** Where TimeStampReq are POSTed (RFC 3161 section 3.4, HTTP). */
  url: string;
  /** The authority's CA certificate(s), PEM: what a token must chain to. */
  trustedPem: string;
  /** Longest wait for an answer, in ms. */
  timeoutMs: number;
}

export interface Timestamp extends VerifiedTimestamp {
  /** The token (DER ContentInfo), as `openssl ts -verify -token_in` reads it. */
  token: Uint8Array;
}

/** The authority answered nothing usable; the message says why, for the log. */
export class TimestampUnavailableError extends Error {
  override readonly name = 'TimestampUnavailableError';
}

/** Asks `authority` to timestamp `checkpointText`; the token is verified before it is returned. */
export async function requestTimestamp(
  authority: TimestampAuthority,
  checkpointText: string,
): Promise<Timestamp> {
  const nonce = randomBytes(8);
  nonce[0] = (nonce[0] as number) & 0x7f; // a positive INTEGER without a leading zero byte
  const request = timestampRequest(timestampImprint(checkpointText), nonce);
  let answer: Response;
  try {
    answer = await fetch(authority.url, {
      method: 'POST',
      headers: { 'content-type': 'application/timestamp-query' },
      body: new Uint8Array(request),
      signal: AbortSignal.timeout(authority.timeoutMs),
    });
  } catch (error) {
    throw new TimestampUnavailableError(
      `the timestamping authority ${authority.url} could not be reached: ${(error as Error).message}`,
    );
  }
  if (!answer.ok)
    throw new TimestampUnavailableError(
      `the timestamping authority ${authority.url} answered HTTP ${answer.status}`,
    );
  const token = timestampTokenOf(new Uint8Array(await answer.arrayBuffer()));
  const verified = verifyTimestampToken(token, checkpointText, authority.trustedPem);
  if (verified.nonce !== nonce.toString('hex'))
    throw new TimestampUnavailableError(
      `the timestamping authority ${authority.url} answered another request (nonce differs)`,
    );
  return { ...verified, token };
}

/** TimeStampReq (RFC 3161 section 2.4.1), version 1, SHA-256 imprint, nonce, certReq true. */
export function timestampRequest(imprint: Uint8Array, nonce: Uint8Array): Uint8Array {
  const sha256 = der(0x06, Buffer.from('608648016503040201', 'hex'));
  const algorithm = der(0x30, sha256, der(0x05));
  return der(
    0x30,
    der(0x02, Buffer.from([1])),
    der(0x30, algorithm, der(0x04, imprint)),
    der(0x02, nonce),
    der(0x01, Buffer.from([0xff])),
  );
}

function der(tag: number, ...parts: Uint8Array[]): Buffer {
  const body = Buffer.concat(parts);
  const length =
    body.length < 0x80
      ? Buffer.from([body.length])
      : Buffer.concat([Buffer.from([0x82]), Buffer.from([body.length >> 8, body.length & 0xff])]);
  return Buffer.concat([Buffer.from([tag]), length, body]);
}
