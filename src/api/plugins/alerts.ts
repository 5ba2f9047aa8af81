import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { type AlertSettings, type Alerts, startAlerts } from '../../alerts/service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Null when the store keeps no outbox (esdb). */
    alerts: Alerts | null;
  }
}

/**
 * Starts the alerts of the ledger the ledger plugin opened (docs/design.md, "Alerts"), on the
 * alert clock `now` (tests inject one), and stops them before the ledger closes.
 */
export const alertsPlugin = fp(
  async (app: FastifyInstance, options: { settings: AlertSettings; now: () => number }) => {
    const alerts = await startAlerts(app.ledger, options.settings, app.log, options.now);
    app.decorate('alerts', alerts);
    // The ledger's own alarm (a fork found at start or before signing) reaches subscribers too.
    if (alerts)
      app.ledger.alarm.onRaise((detail) => {
        alerts
          .raiseIntegrityAlarm({
            check: 'checkpoint',
            position: app.ledger.projections.position,
            detail,
          })
          .catch((error: unknown) => app.log.error({ err: error }, 'integrity alarm not queued'));
      });
    app.addHook('preClose', async () => {
      await alerts?.close();
    });
  },
  { name: 'alerts', fastify: '5.x', dependencies: ['ledger'] },
);
