import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AlertType } from '../../alerts/alert-types.ts';
import type { Alerts } from '../../alerts/service.ts';
import {
  addSubscription,
  deliveryShown,
  RefusedUrlError,
  withoutSecret,
} from '../../alerts/subscriptions.ts';
import { Slug } from '../../domain/index.ts';
import { NextCursor, PageQuery, pageOf } from '../paging.ts';
import { notFound, ProblemError, problemResponses } from '../problems.ts';

const problems = problemResponses(400, 401, 403, 404, 429, 500, 501);
const bodyProblems = problemResponses(413, 415, 422);
const admin = { roles: ['admin'] as const };
const ms = z.number().int().nullable();

const Subscription = z
  .object({
    id: z.uuid(),
    url: z.string(),
    types: z.array(AlertType),
    programIds: z.array(z.string()).nullable(),
    description: z.string().nullable(),
    createdAt: z.string(),
    disabledAt: z.string().nullable(),
    disabledReason: z.string().nullable(),
  })
  .meta({ id: 'Subscription' });

const Attempt = z.object({
  attempt: z.number().int(),
  at: z.number().int(),
  status: z.number().int().nullable(),
  error: z.string().nullable(),
  latencyMs: z.number().int(),
});

const Delivery = z
  .object({
    id: z.string().describe('The webhook-id, the same on every attempt'),
    subscriptionId: z.uuid(),
    type: AlertType,
    position: z.number().int().describe('The ledger position the alert is true at'),
    createdAt: z.number().int(),
    state: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    firstAttemptAt: ms,
    nextAttemptAt: ms.describe('When it is tried next (ms since the epoch); null when not'),
    lastStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
    lastLatencyMs: z.number().int().nullable(),
    attemptLog: z.array(Attempt),
  })
  .meta({ id: 'Delivery' });

const Ids = z.object({ id: z.uuid() });

/**
 * Alert subscriptions (docs/design.md, "Alerts"), for admins: register a receiver (its signing
 * secret is shown once), list and remove them, read a subscription's delivery log, redeliver.
 */
async function subscriptions(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  function alerts(): Alerts {
    if (app.alerts === null)
      throw new ProblemError(
        501,
        'alerts-unsupported',
        'Alerts not supported',
        'this store keeps no alert outbox; use a sqlite:, memory: or postgres:// store',
      );
    return app.alerts;
  }
  async function existing(id: string) {
    const found = (await alerts().outbox.subscriptions()).find((s) => s.id === id);
    if (!found) throw notFound(`no subscription ${id}`);
    return found;
  }

  r.post(
    '/subscriptions',
    {
      config: admin,
      schema: {
        tags: ['alerts'],
        summary: 'Subscribe a receiver to alerts (admin); the signing secret is shown only here',
        body: z.strictObject({
          url: z.string().max(2048).describe('https, or http to loopback or an allowed host'),
          types: z.array(AlertType).min(1),
          programIds: z.array(Slug).min(1).optional(),
          description: z.string().max(500).optional(),
        }),
        response: {
          201: Subscription.extend({
            secret: z.string().describe('Standard Webhooks signing secret (whsec_...): keep it'),
          }),
          ...problems,
          ...bodyProblems,
        },
      },
    },
    async (req, reply) => {
      const { outbox, now, allowedHosts } = alerts();
      try {
        const created = await addSubscription(outbox, req.body, allowedHosts, now());
        return reply.code(201).send(created);
      } catch (error) {
        if (error instanceof RefusedUrlError)
          throw new ProblemError(422, 'url-refused', 'Receiver URL refused', error.message);
        throw error;
      }
    },
  );

  r.get(
    '/subscriptions',
    {
      config: admin,
      schema: {
        tags: ['alerts'],
        summary: 'The subscriptions, oldest first (admin); secrets are never shown again',
        querystring: z.object(PageQuery),
        response: {
          200: z.object({ items: z.array(Subscription), next: NextCursor }),
          ...problems,
        },
      },
    },
    async (req) => {
      const all = (await alerts().outbox.subscriptions()).map(withoutSecret);
      return pageOf('subscriptions', all, (s) => [s.createdAt, s.id], req.query);
    },
  );

  r.delete(
    '/subscriptions/:id',
    {
      config: admin,
      schema: {
        tags: ['alerts'],
        summary: 'Remove a subscription and its delivery log (admin)',
        params: Ids,
        response: { 204: z.null(), ...problems },
      },
    },
    async (req, reply) => {
      if (!(await alerts().outbox.removeSubscription(req.params.id)))
        throw notFound(`no subscription ${req.params.id}`);
      return reply.code(204).send(null);
    },
  );

  r.get(
    '/subscriptions/:id/deliveries',
    {
      config: admin,
      schema: {
        tags: ['alerts'],
        summary:
          "A subscription's delivery log, newest first: attempts, status codes, latency, next attempt",
        params: Ids,
        querystring: z.object(PageQuery),
        response: { 200: z.object({ items: z.array(Delivery), next: NextCursor }), ...problems },
      },
    },
    async (req) => {
      await existing(req.params.id);
      const { outbox } = alerts();
      const page = pageOf(
        `deliveries/${req.params.id}`,
        await outbox.deliveries(req.params.id),
        (d) => [-d.createdAt, d.id],
        req.query,
      );
      const items = await Promise.all(
        page.items.map(async (d) => ({
          ...deliveryShown(d),
          attemptLog: (await outbox.attempts(d.id)).map(({ deliveryId: _, ...a }) => a),
        })),
      );
      return { items, next: page.next };
    },
  );

  r.post(
    '/subscriptions/:id/deliveries/:deliveryId/retry',
    {
      config: admin,
      schema: {
        tags: ['alerts'],
        summary: 'Send a delivery again now, with the same webhook-id (admin)',
        params: Ids.extend({ deliveryId: z.string().max(100) }),
        response: { 202: z.object({ id: z.string(), state: z.literal('pending') }), ...problems },
      },
    },
    async (req, reply) => {
      const { outbox, now } = alerts();
      await existing(req.params.id);
      if (!(await outbox.redeliver(req.params.id, req.params.deliveryId, now())))
        throw notFound(`no delivery ${req.params.deliveryId} of subscription ${req.params.id}`);
      return reply.code(202).send({ id: req.params.deliveryId, state: 'pending' as const });
    },
  );
}

export const subscriptionRoutes = fp(subscriptions, {
  name: 'subscription-routes',
  encapsulate: true,
});
