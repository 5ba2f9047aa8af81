/**
 * Connection settings of a `postgres://` / `postgresql://` store URL: the usual libpq-style URL
 * (user, password, host, port, database, sslmode, application_name, ...) read by node-postgres,
 * plus two query parameters of the ledger's own, taken out before node-postgres sees the URL:
 *
 *   pool_size=N          connections the service keeps (default 10; one more listens for commits)
 *   statement_timeout=MS a statement running longer is cancelled (default 30000; 0: never)
 */
import pg from 'pg';

export interface PostgresSettings {
  /** The URL without the ledger's own parameters, for node-postgres. */
  connectionString: string;
  poolSize: number;
  statementTimeoutMs: number;
}

const DEFAULTS = { poolSize: 10, statementTimeoutMs: 30_000 };

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

export function postgresSettings(url: string): PostgresSettings {
  const parsed = new URL(url);
  const take = (name: string, fallback: number, min: number): number => {
    const text = parsed.searchParams.get(name);
    parsed.searchParams.delete(name);
    if (text === null) return fallback;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < min) {
      throw new TypeError(`postgres store URL: ${name} must be an integer >= ${min}, got ${text}`);
    }
    return value;
  };
  const poolSize = take('pool_size', DEFAULTS.poolSize, 1);
  const statementTimeoutMs = take('statement_timeout', DEFAULTS.statementTimeoutMs, 0);
  return { connectionString: parsed.toString(), poolSize, statementTimeoutMs };
}

/** int8 (positions) as numbers: the ledger's positions stay far below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8
      ? Number
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export function clientConfig(settings: PostgresSettings): pg.ClientConfig {
  return {
    connectionString: settings.connectionString,
    statement_timeout: settings.statementTimeoutMs,
    connectionTimeoutMillis: 5_000,
    types,
  };
}

export function createPool(settings: PostgresSettings): pg.Pool {
  return new pg.Pool({ ...clientConfig(settings), max: settings.poolSize });
}
