import { z } from 'zod';
import { plainWords } from './core/plain-words.ts';
import { type CalendarDate, isTimeZone, todayIn } from './domain/calendar.ts';
import { DEFAULT_STORE_URL } from './eventstore/open.ts';
import { parseWitnesses } from './integrity/witnesses.ts';
import { isKeyName } from './verify.ts';

export const DEFAULT_CHECKPOINT_KEY_DIR = './data/checkpoint-key';
export const DEFAULT_ORIGIN = 'compliance-ledger.local/ledger';

/** The service's settings, from the environment, validated once at start (docs/design.md, "Configuration"). */
export const Config = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  LEDGER_STORE: z.string().min(1).default(DEFAULT_STORE_URL),
  /** The credentials file: API keys, held hashed. */
  LEDGER_CREDENTIALS: z.string().min(1).default('./data/credentials.json'),
  /** Folder of the Ed25519 key that signs checkpoints, created on first start (sqlite stores). */
  LEDGER_CHECKPOINT_KEY: z.string().min(1).default(DEFAULT_CHECKPOINT_KEY_DIR),
  /** First line of every checkpoint, and the signing key's name. */
  LEDGER_ORIGIN: z
    .string()
    .refine(isKeyName, 'is empty or has a space or "+"')
    .default(DEFAULT_ORIGIN),
  /**
   * Witnesses asked to cosign each new checkpoint (docs/design.md, "Witnesses"): entries
   * `<verifier key> <submission URL>`, separated by commas or newlines.
   */
  LEDGER_WITNESSES: z
    .string()
    .default('')
    .transform((text, ctx) => {
      try {
        return parseWitnesses(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  /** How many witnesses must cosign before a checkpoint counts as published; default: all. */
  LEDGER_WITNESS_QUORUM: z.coerce.number().int().min(0).optional(),
  /** Longest time one witness may take to answer, in ms. */
  LEDGER_WITNESS_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** How often the service signs a checkpoint when the tree grew; 0: only at start and on an admin's POST. */
  LEDGER_CHECKPOINT_INTERVAL_MS: z.coerce.number().int().min(0).max(2_147_483_647).default(60_000),
  /**
   * The RFC 3161 timestamping authority that timestamps each published checkpoint (http or
   * https URL), set with LEDGER_TSA_CA_FILE; unset, checkpoints carry only the server's own time.
   */
  LEDGER_TSA_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** The authority's CA certificate(s), a PEM file: every token must chain to it. */
  LEDGER_TSA_CA_FILE: z.string().min(1).optional(),
  /** Longest wait for the authority's answer, in ms; a late one is asked again at the next tick. */
  LEDGER_TSA_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** Largest accepted request body, in bytes. */
  LEDGER_BODY_LIMIT: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
  /** Requests per minute allowed to one API key. */
  LEDGER_RATE_LIMIT: z.coerce.number().int().min(1).default(6000),
  /** Requests per minute allowed from one client address, keyed or not, counted before authentication. */
  LEDGER_ADDRESS_RATE_LIMIT: z.coerce.number().int().min(1).default(6000),
  /**
   * The bearer token Prometheus sends to read /metrics (at least 32 characters); unset, /metrics
   * refuses every request.
   */
  LEDGER_METRICS_TOKEN: z.string().min(32).optional(),
  /**
   * Longest time a client may take to send one whole request (headers and body), in ms; a
   * trickled body is answered 408 and its connection closed.
   */
  LEDGER_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  /** Longest time a client may take to send a request's headers, in ms (at most the above). */
  LEDGER_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** Open connections the server accepts at once; one more is closed on arrival. */
  LEDGER_MAX_CONNECTIONS: z.coerce.number().int().min(1).default(1000),
  /** Open connections from one address at once; one more is closed on arrival. */
  LEDGER_MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(1).default(100),
  /** Whole-ledger requests (verify, violations, backdating, deadlines, audit trails) one API key may have in flight. */
  LEDGER_HEAVY_PER_KEY: z.coerce.number().int().min(1).default(2),
  /**
   * The office's time zone (IANA name): when "today" turns into tomorrow, for alerts, deadlines
   * and every default date.
   */
  LEDGER_TIME_ZONE: z.string().refine(isTimeZone, 'is not an IANA time zone').default('UTC'),
  /** Hosts alert subscriptions may name over plain http (besides loopback), comma-separated. */
  LEDGER_ALERT_ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((hosts) =>
      hosts
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter((h) => h !== ''),
    ),
  /** Longest time one alert delivery may take (connect, send, answer), in ms. */
  LEDGER_ALERT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `pretty` (one coloured line per entry) or `json`; unset: pretty on a terminal, else JSON. */
  LOG_FORMAT: z.enum(['pretty', 'json']).optional(),
});
export type Config = z.infer<typeof Config>;

/** Today in the office's time zone: the default date of every CLI command. */
export const officeToday = (config: Pick<Config, 'LEDGER_TIME_ZONE'>): CalendarDate =>
  todayIn(config.LEDGER_TIME_ZONE, new Date());

/**
 * Parses the environment; a bad value stops the start with every problem named. A variable set
 * to the empty string counts as unset (`LEDGER_STORE= compliance-ledger ...` means the default).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = Config.safeParse(set, { error: plainWords });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const name = i.path.join('.');
      return `${name}: ${i.message}${name in set ? ` (got ${JSON.stringify(set[name])})` : ''}`;
    });
    throw new Error(`invalid configuration: ${problems.join('; ')}`);
  }
  const { LEDGER_WITNESS_QUORUM: quorum, LEDGER_WITNESSES: witnesses } = parsed.data;
  if (quorum !== undefined && quorum > witnesses.length)
    throw new Error(
      `invalid configuration: LEDGER_WITNESS_QUORUM: ${quorum} is more than the ${witnesses.length} witnesses of LEDGER_WITNESSES`,
    );
  return parsed.data;
}
