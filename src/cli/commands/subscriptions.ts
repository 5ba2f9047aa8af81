import { existsSync } from 'node:fs';
import { z } from 'zod';
import { AlertType } from '../../alerts/alert-types.ts';
import { openOutbox } from '../../alerts/outbox/open.ts';
import type { Outbox } from '../../alerts/outbox/port.ts';
import {
  addSubscription,
  deliveryShown,
  RefusedUrlError,
  withoutSecret,
} from '../../alerts/subscriptions.ts';
import { sqlitePath } from '../../eventstore/open.ts';
import type { Cli } from '../cli.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { table } from '../render.ts';

const Types = z.array(AlertType).min(1);

/** The outbox beside the store: subscriptions are kept there, as the server keeps them. */
async function withOutbox<T>(url: string, use: (outbox: Outbox) => Promise<T>): Promise<T> {
  const file = sqlitePath(url);
  // The server creates the ledger file (owner-only); the CLI never creates one by accident.
  if (file !== null && !existsSync(file))
    throw new CliError(EXIT.failure, `cannot open store ${url}: no ledger file at ${file}`);
  let outbox: Outbox | null;
  try {
    outbox = await openOutbox(url);
  } catch (error) {
    throw new CliError(EXIT.failure, `cannot open store ${url}: ${(error as Error).message}`);
  }
  if (outbox === null)
    throw new CliError(
      EXIT.refused,
      `store ${url} keeps no alert subscriptions (use sqlite: or postgres://)`,
    );
  try {
    return await use(outbox);
  } finally {
    await outbox.close();
  }
}

const list = (value: string) =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');

/** `subscriptions add|list|remove|deliveries|retry`: alert subscriptions, as an admin manages them. */
export function subscriptionsCommand(cli: Cli): void {
  const { program, globals, out, config } = cli;
  const command = program
    .command('subscriptions')
    .description('alert subscriptions: receivers told when a status changes or a deadline nears');

  command
    .command('add <url>')
    .description('subscribe a receiver; prints its signing secret, shown this once')
    .requiredOption('--types <types>', `comma-separated: ${AlertType.options.join(', ')}`)
    .option('--programs <ids>', 'only alerts about these programs (comma-separated)')
    .option('--description <text>', 'what the receiver is')
    .action(async (url: string, o: { types: string; programs?: string; description?: string }) => {
      const types = Types.safeParse(list(o.types));
      if (!types.success)
        throw new CliError(
          EXIT.usage,
          `--types: use one or more of ${AlertType.options.join(', ')} (got ${o.types})`,
        );
      await withOutbox(globals().store, async (outbox) => {
        try {
          const created = await addSubscription(
            outbox,
            {
              url,
              types: types.data,
              programIds: o.programs === undefined ? undefined : list(o.programs),
              description: o.description,
            },
            config.LEDGER_ALERT_ALLOWED_HOSTS,
            Date.now(),
          );
          out(created, () =>
            [
              `subscription ${created.id}`,
              `signing secret (shown once, keep it): ${created.secret}`,
            ].join('\n'),
          );
        } catch (error) {
          if (error instanceof RefusedUrlError) throw new CliError(EXIT.refused, error.message);
          throw error;
        }
      });
    });

  command
    .command('list')
    .description('the subscriptions (never their secrets)')
    .action(async () => {
      await withOutbox(globals().store, async (outbox) => {
        const found = (await outbox.subscriptions()).map(withoutSecret);
        out(found, () =>
          table(
            found.map((s) => ({
              ...s,
              types: s.types.join(','),
              programIds: s.programIds?.join(',') ?? 'all',
            })),
            ['id', 'url', 'types', 'programIds', 'disabledAt', 'disabledReason'],
          ),
        );
      });
    });

  command
    .command('remove <id>')
    .description('remove a subscription and its delivery log')
    .action(async (id: string) => {
      await withOutbox(globals().store, async (outbox) => {
        if (!(await outbox.removeSubscription(id)))
          throw new CliError(EXIT.notFound, `no subscription ${id}`);
        out({ removed: id }, () => `removed subscription ${id}`);
      });
    });

  command
    .command('deliveries <id>')
    .description("a subscription's delivery log, newest first")
    .action(async (id: string) => {
      await withOutbox(globals().store, async (outbox) => {
        if (!(await outbox.subscriptions()).some((s) => s.id === id))
          throw new CliError(EXIT.notFound, `no subscription ${id}`);
        const found = (await outbox.deliveries(id)).map(deliveryShown);
        const when = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString());
        out(found, () =>
          table(
            found.map((d) => ({ ...d, nextAttemptAt: when(d.nextAttemptAt) })),
            [
              'id',
              'type',
              'position',
              'state',
              'attempts',
              'lastStatus',
              'lastLatencyMs',
              'nextAttemptAt',
              'lastError',
            ],
          ),
        );
      });
    });

  command
    .command('retry <id> <deliveryId>')
    .description('send a delivery again (same webhook-id) as soon as the server next looks')
    .action(async (id: string, deliveryId: string) => {
      await withOutbox(globals().store, async (outbox) => {
        if (!(await outbox.redeliver(id, deliveryId, Date.now())))
          throw new CliError(EXIT.notFound, `no delivery ${deliveryId} of subscription ${id}`);
        out(
          { id: deliveryId, state: 'pending' },
          () => `delivery ${deliveryId} will be sent again`,
        );
      });
    });
}
