import { z } from 'zod';

/** The service's settings, from the environment, validated once at start (DESIGN §6). */
export const Config = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  LEDGER_STORE: z.string().min(1).default('sqlite:./data/ledger.sqlite'),
  /** The credentials file: API keys, held hashed. */
  LEDGER_CREDENTIALS: z.string().min(1).default('./data/credentials.json'),
  /** Largest accepted request body, in bytes. */
  LEDGER_BODY_LIMIT: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
  /** Requests per minute allowed to one API key. */
  LEDGER_RATE_LIMIT: z.coerce.number().int().min(1).default(6000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type Config = z.infer<typeof Config>;

/** Parses the environment; a bad value stops the start with every problem named. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Config.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}
