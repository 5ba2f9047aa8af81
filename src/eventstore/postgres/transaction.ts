import type pg from 'pg';

/**
 * Runs `work` in one transaction on a pooled connection: COMMIT when it resolves, else ROLLBACK.
 * `begin` opens it (e.g. BEGIN and a lock, in one round trip).
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  begin: string,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('COMMIT');
    client.release();
    return result;
  } catch (error) {
    await releaseAfterFailure(client);
    throw error;
  }
}

/** Rolls back what a failure left open and gives the connection back to the pool. */
export async function releaseAfterFailure(client: pg.PoolClient): Promise<void> {
  const rolledBack = await client.query('ROLLBACK').then(
    () => true,
    () => false,
  );
  // A connection that could not even roll back is broken: it is not handed out again.
  client.release(!rolledBack);
}
