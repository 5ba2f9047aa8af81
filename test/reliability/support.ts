/**
 * Real server processes for the reliability suites: `node --import tsx src/main.ts` on a free
 * loopback port, with a temp SQLite store and credentials file, plus a small HTTP client that
 * sends exactly the bytes and headers a test asks for (node:http, no automatic content-type).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { addKey, type Role } from '../../src/api/credentials.ts';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const PROBLEM_PREFIX = 'urn:compliance-ledger:problem:';
const HOST = '127.0.0.1';

/** A free TCP port on the loopback interface (the OS picks it; the probe is closed at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

export interface LedgerFiles {
  dir: string;
  storePath: string;
  storeUrl: string;
  credentialsPath: string;
  /** Keys created with addKey before the first start, by the name they were given. */
  keys: Record<string, { key: string; id: string; role: Role }>;
  remove(): void;
}

const createdDirs = new Set<string>();

/**
 * A temp directory holding the store and the credentials file. `keys` names the keys to create
 * (name -> role); with none, no credentials file exists and main.ts creates one on first start.
 */
export function createLedgerFiles(keys: Record<string, Role> = {}): LedgerFiles {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-reliability-'));
  createdDirs.add(dir);
  const storePath = join(dir, 'ledger.sqlite');
  const credentialsPath = join(dir, 'credentials.json');
  const made: LedgerFiles['keys'] = {};
  for (const [name, role] of Object.entries(keys)) {
    const { key, entry } = addKey(credentialsPath, name, role);
    made[name] = { key, id: entry.id, role };
  }
  return {
    dir,
    storePath,
    storeUrl: `sqlite:${storePath}`,
    credentialsPath,
    keys: made,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
      createdDirs.delete(dir);
    },
  };
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The parsed body when the content-type says JSON, else undefined. */
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are inspected field by field
  json: any;
}

export interface RequestOptions {
  /** Sent as `Authorization: Bearer <key>`. */
  key?: string;
  /** A raw Authorization header value (wins over `key`). */
  authorization?: string;
  headers?: Record<string, string>;
  /** Sent as JSON with content-type application/json (unless `headers` sets one). */
  json?: unknown;
  /** Sent as is; no content-type unless `headers` sets one. */
  raw?: string | Buffer;
  timeoutMs?: number;
}

export interface ServerProcess {
  readonly port: number;
  readonly baseUrl: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything the process wrote (stdout and stderr), bounded to the last 200 kB. */
  output(): string;
  /** Sends a signal and resolves once the process has exited; a no-op when it already has. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  exited(): boolean;
  request(method: string, path: string, options?: RequestOptions): Promise<HttpResponse>;
  get(path: string, options?: RequestOptions): Promise<HttpResponse>;
  post(path: string, json: unknown, options?: RequestOptions): Promise<HttpResponse>;
}

const live = new Set<ServerProcess>();
process.once('exit', () => {
  for (const server of live) if (!server.exited()) server.child.kill('SIGKILL');
});

export interface StartOptions {
  env?: Record<string, string>;
  startTimeoutMs?: number;
}

/**
 * Starts `src/main.ts` on the files' store and credentials; resolves when /healthz answers.
 * Should another process take the probed port first (EADDRINUSE), it tries another port.
 */
export async function startServer(
  files: Pick<LedgerFiles, 'storeUrl' | 'credentialsPath'>,
  options: StartOptions = {},
): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(files, options);
    } catch (error) {
      if (attempt >= 3 || !String((error as Error).message).includes('EADDRINUSE')) throw error;
    }
  }
}

async function startOnce(
  files: Pick<LedgerFiles, 'storeUrl' | 'credentialsPath'>,
  options: StartOptions,
): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      HOST,
      PORT: String(port),
      LEDGER_STORE: files.storeUrl,
      LEDGER_CREDENTIALS: files.credentialsPath,
      // Beside the credentials, in the test's temp directory, never ./data of the repository.
      LEDGER_CHECKPOINT_KEY: join(dirname(files.credentialsPath), 'checkpoint-key'),
      LEDGER_RATE_LIMIT: '10000000',
      LEDGER_ADDRESS_RATE_LIMIT: '10000000',
      LOG_LEVEL: 'warn',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > 200_000) output = output.slice(-200_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exitCode: number | null | undefined;
  let exitSignal: NodeJS.Signals | null = null;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exitCode = code;
      exitSignal = signal;
      resolve();
    }),
  );
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  const server: ServerProcess = {
    port,
    baseUrl: `http://${HOST}:${port}`,
    child,
    pid: child.pid ?? -1,
    output: () => output,
    exited: () => exitCode !== undefined,
    async stop(signal = 'SIGKILL') {
      if (exitCode === undefined) child.kill(signal);
      await exit;
      agent.destroy();
      live.delete(server);
    },
    request: (method, path, requestOptions = {}) => send(agent, port, method, path, requestOptions),
    get: (path, requestOptions = {}) => send(agent, port, 'GET', path, requestOptions),
    post: (path, json, requestOptions = {}) =>
      send(agent, port, 'POST', path, { ...requestOptions, json }),
  };
  live.add(server);

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (exitCode !== undefined) {
      live.delete(server);
      throw new Error(
        `server exited during start (code ${exitCode}, signal ${exitSignal}):\n${output}`,
      );
    }
    const healthy = await send(agent, port, 'GET', '/healthz', { timeoutMs: 1000 }).then(
      (r) => r.status === 200,
      () => false,
    );
    // Healthy, and it is this process that answers (not another one on a port it lost).
    if (healthy && exitCode === undefined && !output.includes('EADDRINUSE')) return server;
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`server did not answer /healthz in time:\n${output}`);
    }
    await sleep(50);
  }
}

/** Kills every server still running (for afterAll) and removes every temp directory. */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...live].map((server) => server.stop('SIGKILL')));
}

export function removeAllFiles(): void {
  for (const dir of createdDirs) rmSync(dir, { recursive: true, force: true });
  createdDirs.clear();
}

function send(
  agent: http.Agent,
  port: number,
  method: string,
  path: string,
  options: RequestOptions,
): Promise<HttpResponse> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  const lower = new Set(Object.keys(headers).map((h) => h.toLowerCase()));
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  else if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  let body: Buffer | undefined;
  if (options.json !== undefined) {
    body = Buffer.from(JSON.stringify(options.json), 'utf8');
    if (!lower.has('content-type')) headers['content-type'] = 'application/json';
  } else if (options.raw !== undefined) {
    body = Buffer.isBuffer(options.raw) ? options.raw : Buffer.from(options.raw, 'utf8');
  }
  if (body !== undefined) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: HOST, port, method, path, headers, agent, timeout: options.timeoutMs ?? 30_000 },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const type = String(response.headers['content-type'] ?? '');
          let json: unknown;
          if (type.includes('json') && text !== '') {
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json });
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error(`${method} ${path} timed out`)));
    request.on('error', reject);
    request.end(body);
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A stack frame, an internal file path or a file URL leaking into a response body. */
const LEAK =
  /"stack"\s*:|\n\s*at\s|\bat\s+\S+\s+\(|node:internal|node_modules|\/work\/|file:\/\/|\.(?:ts|js|mjs|cjs):\d+/;

export function leaksInternals(text: string): boolean {
  return LEAK.test(text);
}

/** Problems with an RFC 9457 answer (empty when it is one, of `status` when given). */
export function problemDefects(response: HttpResponse, status?: number): string[] {
  const defects: string[] = [];
  if (status !== undefined && response.status !== status)
    defects.push(`status ${response.status}, expected ${status}`);
  if (!/^application\/problem\+json/.test(String(response.headers['content-type'] ?? '')))
    defects.push(`content-type ${response.headers['content-type']}`);
  const p = response.json;
  if (typeof p !== 'object' || p === null) defects.push('body is not a JSON object');
  else {
    if (typeof p.type !== 'string' || !p.type.startsWith(PROBLEM_PREFIX))
      defects.push(`type ${JSON.stringify(p.type)}`);
    if (typeof p.title !== 'string' || p.title === '') defects.push('no title');
    if (p.status !== response.status) defects.push(`body status ${p.status}`);
    if (typeof p.detail !== 'string') defects.push('no detail');
  }
  if (leaksInternals(response.text)) defects.push('leaks a stack trace or a file path');
  return defects;
}

/** Asserts an RFC 9457 problem (of `status`, and of `type` after the prefix, when given). */
export function expectProblem(response: HttpResponse, status?: number, type?: string): void {
  expect(problemDefects(response, status), response.text.slice(0, 2000)).toEqual([]);
  if (type !== undefined) expect(response.json.type).toBe(`${PROBLEM_PREFIX}${type}`);
}

export interface LedgerEvent {
  eventId: string;
  stream: string;
  revision: number;
  position: number;
  type: string;
  // biome-ignore lint/suspicious/noExplicitAny: event data is checked per type by the tests
  data: any;
  metadata: Record<string, unknown>;
}

/** The whole ledger through GET /v1/events, page by page (bounded). */
export async function readWholeLedger(server: ServerProcess, key: string): Promise<LedgerEvent[]> {
  const events: LedgerEvent[] = [];
  let from: number | null = 1;
  for (let page = 0; from !== null; page++) {
    if (page > 10_000) throw new Error('GET /v1/events did not end');
    const response = await server.get(`/v1/events?fromPosition=${from}&limit=1000`, { key });
    if (response.status !== 200)
      throw new Error(`GET /v1/events answered ${response.status}: ${response.text}`);
    events.push(...(response.json.events as LedgerEvent[]));
    from = response.json.nextPosition;
  }
  return events;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HASH = /^[0-9a-f]{64}$/;
const EVENT_TYPES = new Set([
  'SpecificationRegistered',
  'TechnicalDataPackageReleased',
  'ProgramRegistered',
  'NoticeReceived',
  'LicenseApplicationSubmitted',
  'LicenseApplicationDecided',
  'ShipmentRecorded',
  'ShipmentChecked',
  'ProgramEnded',
  'EventRetracted',
]);

/**
 * What is wrong with the ledger as read (empty when sound): every event well-formed, positions
 * dense 1..N, each stream's revisions 0..k in order, each prevHash the hash before it.
 */
export function ledgerDefects(events: readonly LedgerEvent[]): string[] {
  const defects: string[] = [];
  const heads = new Map<string, { revision: number; hash: string }>();
  const ids = new Set<string>();
  events.forEach((e, index) => {
    const at = `event #${index + 1} (${e?.eventId})`;
    if (e.position !== index + 1) defects.push(`${at}: position ${e.position}`);
    if (typeof e.eventId !== 'string' || !UUID.test(e.eventId)) defects.push(`${at}: eventId`);
    if (ids.has(e.eventId)) defects.push(`${at}: eventId repeated`);
    ids.add(e.eventId);
    if (!EVENT_TYPES.has(e.type)) defects.push(`${at}: type ${e.type}`);
    if (typeof e.data !== 'object' || e.data === null) defects.push(`${at}: data`);
    const m = e.metadata ?? {};
    if (typeof m.hash !== 'string' || !HASH.test(m.hash)) defects.push(`${at}: hash`);
    if (typeof m.prevHash !== 'string' || !HASH.test(m.prevHash)) defects.push(`${at}: prevHash`);
    if (typeof m.recordedAt !== 'string' || Number.isNaN(Date.parse(m.recordedAt)))
      defects.push(`${at}: recordedAt`);
    if (typeof m.recordedBy !== 'string') defects.push(`${at}: recordedBy`);
    const head = heads.get(e.stream);
    const expected = head ? head.revision + 1 : 0;
    if (e.revision !== expected)
      defects.push(`${at}: revision ${e.revision}, expected ${expected}`);
    if (m.prevHash !== (head?.hash ?? '0'.repeat(64))) defects.push(`${at}: broken chain`);
    heads.set(e.stream, { revision: e.revision, hash: String(m.hash) });
  });
  return defects;
}

/** A valid shipment body; `n` makes it distinct. */
export const shipment = (shipmentId: string, n = 1) => ({
  shipmentId,
  shippedOn: '2024-03-01',
  units: n,
});

/** A valid program registration for `programId`. */
export const programRegistration = (programId: string) => ({
  programId,
  supplierId: 'reliability-supplier',
  specificationId: 'usps-b-1118e',
  channel: 'private-market',
  regulator: 'USPS',
});

/** Registers programs and returns nothing; throws unless each answers 201. */
export async function registerPrograms(
  server: ServerProcess,
  key: string,
  programIds: readonly string[],
): Promise<void> {
  // The specification first: a program naming an unregistered one is refused (200 when the
  // same registration is already recorded).
  const spec = await server.post(
    '/v1/specifications',
    { specificationId: 'usps-b-1118e', regulator: 'USPS', title: 'USPS-B-1118E' },
    { key },
  );
  if (spec.status !== 201 && spec.status !== 200)
    throw new Error(`registering usps-b-1118e answered ${spec.status}: ${spec.text}`);
  for (const id of programIds) {
    const response = await server.post('/v1/programs', programRegistration(id), { key });
    if (response.status !== 201)
      throw new Error(`registering ${id} answered ${response.status}: ${response.text}`);
  }
}
