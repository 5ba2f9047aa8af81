/**
 * Liveness and readiness follow the store subscription and the store's own alarms, and the
 * store's refusals of an append map to problems (issue 16, items 1, 4 and 7).
 */
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { errorsPlugin } from '../../src/api/plugins/errors.ts';
import type { Ledger } from '../../src/api/plugins/ledger.ts';
import { healthRoutes } from '../../src/api/routes/health.ts';
import {
  AppendTooLargeError,
  DeletedStreamError,
  MerkleForkError,
  MerkleTreeBehindError,
} from '../../src/eventstore/errors.ts';
import type { FollowState } from '../../src/eventstore/follow.ts';
import type { StoreHealth } from '../../src/eventstore/port.ts';
import { integrityAlarm } from '../../src/integrity/alarm.ts';

async function app(following: FollowState, health?: StoreHealth, alarm = integrityAlarm()) {
  const server = Fastify();
  server.setValidatorCompiler(validatorCompiler);
  server.setSerializerCompiler(serializerCompiler);
  await server.register(errorsPlugin);
  // A stand-in under the name the routes depend on.
  await server.register(
    fp(
      async (a) => {
        a.decorate('ledger', {
          projections: { position: 5, following },
          alarm,
          store: { headPosition: async () => 5, ...(health ? { health: () => health } : {}) },
        } as unknown as Ledger);
      },
      { name: 'ledger' },
    ),
  );
  await server.register(healthRoutes);
  server.get('/too-large', async () => {
    throw new AppendTooLargeError('program-1', 2_000_000, 1_048_576, 'an append');
  });
  server.get('/deleted', async () => {
    throw new DeletedStreamError('program-1', 'tombstoned');
  });
  server.get('/behind', async () => {
    throw new MerkleTreeBehindError('the Merkle tree did not reach position 9');
  });
  server.get('/fork', async () => {
    throw new MerkleForkError('Merkle fork alarm: another root');
  });
  return server;
}

const up: FollowState = { up: true, failures: 0, lastError: null };
const down: FollowState = {
  up: false,
  failures: 7,
  lastError: 'Failed to discover after 10 attempts.',
};

describe('health', () => {
  it('is live and ready while the subscription is up and the projections caught up', async () => {
    const server = await app(up);
    expect((await server.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await server.inject({ url: '/readyz' })).statusCode).toBe(200);
    await server.close();
  });

  it('fails both while the store subscription is down, naming why', async () => {
    const server = await app(down);
    const live = await server.inject({ url: '/healthz' });
    expect(live.statusCode).toBe(503);
    expect(live.json().detail).toMatch(/after 7 failures, retrying: Failed to discover/);
    const ready = await server.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ ready: false, detail: expect.stringMatching(/down/) });
    await server.close();
  });

  it('is not ready while the store raises an alarm (a Merkle fork, a retention rule)', async () => {
    const server = await app(up, { ok: false, detail: 'Merkle fork alarm: another root' });
    const ready = await server.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().detail).toBe('Merkle fork alarm: another root');
    await server.close();
  });

  it('is not ready while the integrity alarm is raised, though live', async () => {
    const alarm = integrityAlarm();
    const server = await app(up, undefined, alarm);
    expect((await server.inject({ url: '/readyz' })).statusCode).toBe(200);
    alarm.raise('the server signed tree size 7 with root A, but the ledger holds only 5 events');
    const ready = await server.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().detail).toBe(
      'integrity alarm: the server signed tree size 7 with root A, but the ledger holds only 5 events',
    );
    expect((await server.inject({ url: '/healthz' })).statusCode).toBe(200);
    await server.close();
  });

  it('answers 413 for an append too large, 410 for a deleted stream, 503 for a tree behind, 500 for a fork', async () => {
    const server = await app(up);
    const large = await server.inject({ url: '/too-large' });
    expect(large.statusCode).toBe(413);
    expect(large.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(large.json().type).toMatch(/append-too-large$/);
    const deleted = await server.inject({ url: '/deleted' });
    expect(deleted.statusCode).toBe(410);
    expect(deleted.json().type).toMatch(/stream-deleted$/);
    const behind = await server.inject({ url: '/behind' });
    expect([behind.statusCode, behind.json().type]).toEqual([
      503,
      expect.stringMatching(/merkle-tree-behind$/),
    ]);
    const fork = await server.inject({ url: '/fork' });
    expect([fork.statusCode, fork.json().detail]).toEqual([500, 'Merkle fork alarm: another root']);
    await server.close();
  });
});
