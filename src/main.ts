import closeWithGrace from 'close-with-grace';
import { buildApp } from './api/app.ts';
import { ensureCredentials } from './api/credentials.ts';
import { saveFirstStartKeys } from './api/first-start-keys.ts';
import { loadConfig } from './config.ts';

/** Starts the service: `npm start`. Settings come from the environment (README). */
const config = loadConfig();
// First-start keys go to a 0600 file (saved before anything else can fail, so none is lost),
// and to the screen only when a person watches it: never into the log stream, which ends up
// in log storage.
const created = ensureCredentials(config.LEDGER_CREDENTIALS);
const keysFile = created.length > 0 ? saveFirstStartKeys(config.LEDGER_CREDENTIALS, created) : null;
if (keysFile && process.stdout.isTTY)
  for (const { key, entry } of created) process.stdout.write(`${entry.role} API key: ${key}\n`);
const app = await buildApp(config);
if (keysFile)
  app.log.warn(
    { file: keysFile },
    `first start: created ${created.map((c) => c.entry.role).join(' and ')} API keys, saved to ${keysFile} (mode 0600); hand them out, then delete it`,
  );
await app.listen({ host: config.HOST, port: config.PORT });

/** How long in-flight requests get to finish after SIGTERM/SIGINT before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 10_000;

closeWithGrace({ delay: SHUTDOWN_DEADLINE_MS }, async ({ signal, err }) => {
  if (err) app.log.error(err);
  app.log.info(`${signal ?? 'error'}: finishing in-flight requests, then closing the ledger`);
  await app.close();
});
