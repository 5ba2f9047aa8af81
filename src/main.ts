import closeWithGrace from 'close-with-grace';
import { buildApp } from './api/app.ts';
import { ensureCredentials } from './api/credentials.ts';
import { saveFirstStartKeys } from './api/first-start-keys.ts';
import { type Config, loadConfig } from './config.ts';
import { toolVersion } from './reports/tool.ts';
import { START_EXIT, StartupError, startStep } from './startup.ts';

/** Starts the service: `npm start`. Settings come from the environment (README). */
async function start() {
  const config = await startStep('configuration', () => loadConfig());
  const created = await startStep('LEDGER_CREDENTIALS', () =>
    ensureCredentials(config.LEDGER_CREDENTIALS),
  );
  // First-start keys go to a 0600 file (saved before anything else can fail, so none is lost),
  // and to the screen only when a person watches it: never into the log stream, which ends up
  // in log storage.
  const keysFile =
    created.length > 0 ? saveFirstStartKeys(config.LEDGER_CREDENTIALS, created) : null;
  if (keysFile && process.stdout.isTTY)
    for (const { key, entry } of created) process.stdout.write(`${entry.role} API key: ${key}\n`);
  // The store, the checkpoint key and the credentials are opened here.
  const app = await startStep(settingsOfApp(config), () => buildApp(config));
  if (keysFile)
    app.log.warn(
      { file: keysFile },
      `first start: created ${created.map((c) => c.entry.role).join(' and ')} API keys, saved to ${keysFile} (mode 0600); hand them out, then delete it`,
    );
  await startStep(`HOST:PORT ${config.HOST}:${config.PORT}`, async () => {
    try {
      // The first line a newcomer reads: what runs, on which ledger, and where to go next.
      await app.listen({
        host: config.HOST,
        port: config.PORT,
        listenTextResolver: (address) =>
          `compliance-ledger ${toolVersion().version} listening at ${address} on ${redacted(config.LEDGER_STORE)}: console ${address}/console/, API docs ${address}/docs, metrics ${address}/metrics`,
      });
    } catch (error) {
      await app.close();
      throw error;
    }
  });
  return app;
}

/** Which setting buildApp failed on: a file a setting names appears in the error; else the store. */
const settingsOfApp = (config: Config) => (error: unknown) => {
  const message = error instanceof Error ? error.message : '';
  if (message.includes(config.LEDGER_CHECKPOINT_KEY)) return 'LEDGER_CHECKPOINT_KEY';
  if (message.includes(config.LEDGER_CREDENTIALS)) return 'LEDGER_CREDENTIALS';
  return `LEDGER_STORE ${redacted(config.LEDGER_STORE)}`;
};

/** A store URL without its password. */
const redacted = (url: string) => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');

let app: Awaited<ReturnType<typeof start>>;
try {
  app = await start();
} catch (error) {
  const known = error instanceof StartupError;
  process.stderr.write(
    `compliance-ledger: cannot start: ${known ? error.message : (error as Error).message}\n`,
  );
  process.exit(known ? error.exitCode : START_EXIT.failure);
}

/** How long in-flight requests get to finish after SIGTERM/SIGINT before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 10_000;

closeWithGrace({ delay: SHUTDOWN_DEADLINE_MS }, async ({ signal, err }) => {
  if (err) app.log.error(err);
  app.log.info(`${signal ?? 'error'}: finishing in-flight requests, then closing the ledger`);
  await app.close();
  // The last line: whoever stopped it sees that it stopped, not only that it began to.
  app.log.info('closed: no request in flight, the ledger closed');
});
