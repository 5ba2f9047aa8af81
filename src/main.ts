import closeWithGrace from 'close-with-grace';
import { buildApp } from './api/app.ts';
import { ensureCredentials } from './api/credentials.ts';
import { loadConfig } from './config.ts';

/** Starts the service: `npm start`. Settings come from the environment (README). */
const config = loadConfig();
for (const { key, entry } of ensureCredentials(config.LEDGER_CREDENTIALS))
  console.log(
    `created ${entry.role} API key (shown once, stored hashed in ${config.LEDGER_CREDENTIALS}): ${key}`,
  );
const app = await buildApp(config);
await app.listen({ host: config.HOST, port: config.PORT });

/** How long in-flight requests get to finish after SIGTERM/SIGINT before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 10_000;

closeWithGrace({ delay: SHUTDOWN_DEADLINE_MS }, async ({ signal, err }) => {
  if (err) app.log.error(err);
  app.log.info(`${signal ?? 'error'}: finishing in-flight requests, then closing the ledger`);
  await app.close();
});
