/**
 * A timestamping authority that is not the project's own code: a throwaway CA and TSA
 * certificate made with the openssl CLI, and a listening HTTP server answering each
 * TimeStampReq with `openssl ts -reply`. `available` is false without an openssl binary.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const OPENSSL = process.env.OPENSSL ?? '/usr/bin/openssl';

export function opensslAvailable(): boolean {
  try {
    execFileSync(OPENSSL, ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface OpensslTsa {
  url: string;
  /** The CA certificate, PEM: what tokens chain to. */
  caPem: string;
  caFile: string;
  dir: string;
  /** Requests answered so far. */
  answered: number;
  /** While true, every request is answered 503 (an authority that is down). */
  down: boolean;
  close(): Promise<void>;
}

export async function startOpensslTsa(): Promise<OpensslTsa> {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-tsa-'));
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync(OPENSSL, args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=Test Timestamping CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  );
  openssl('req', ...ec, '-keyout', 'tsa.key', '-out', 'tsa.csr', '-subj', '/CN=Test TSA');
  writeFileSync(
    at('tsa.ext'),
    'extendedKeyUsage=critical,timeStamping\nkeyUsage=critical,digitalSignature\n',
  );
  openssl(
    'x509',
    '-req',
    '-in',
    'tsa.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'tsa.crt',
    '-days',
    '2',
    '-extfile',
    'tsa.ext',
  );
  writeFileSync(at('serial'), '01\n');
  writeFileSync(
    at('tsa.cnf'),
    [
      '[ tsa ]',
      'default_tsa = test_tsa',
      '[ test_tsa ]',
      `serial = ${at('serial')}`,
      `signer_cert = ${at('tsa.crt')}`,
      `certs = ${at('ca.crt')}`,
      `signer_key = ${at('tsa.key')}`,
      'signer_digest = sha256',
      'default_policy = 1.3.6.1.4.1.55555.1',
      'digests = sha256',
      'accuracy = secs:1',
      'ess_cert_id_alg = sha256',
      '',
    ].join('\n'),
  );
  let request = 0;
  const tsa: OpensslTsa = {
    url: '',
    caPem: readFileSync(at('ca.crt'), 'utf8'),
    caFile: at('ca.crt'),
    dir,
    answered: 0,
    down: false,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (tsa.down || req.headers['content-type'] !== 'application/timestamp-query') {
        res.writeHead(tsa.down ? 503 : 415).end();
        return;
      }
      const n = ++request;
      writeFileSync(at(`${n}.tsq`), Buffer.concat(chunks));
      openssl('ts', '-reply', '-config', 'tsa.cnf', '-queryfile', `${n}.tsq`, '-out', `${n}.tsr`);
      tsa.answered++;
      res
        .writeHead(200, { 'content-type': 'application/timestamp-reply' })
        .end(readFileSync(at(`${n}.tsr`)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  tsa.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tsa`;
  return tsa;
}
