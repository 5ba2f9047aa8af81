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

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    app.log.info(`${signal}: finishing in-flight requests, then closing the ledger`);
    app.close().then(
      () => process.exit(0),
      (error) => {
        app.log.error(error);
        process.exit(1);
      },
    );
  });
