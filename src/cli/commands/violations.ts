import * as args from '../arguments.ts';
import type { Cli } from '../cli.ts';
import { table } from '../render.ts';
import { withLedger } from '../store-option.ts';

export function violationsCommand(cli: Cli): void {
  const { program, globals, out } = cli;
  program
    .command('violations')
    .description('shipments outside an authorization, as known now and when recorded')
    .option('--as-known-at <position|instant>', 'the list as it read then')
    .action(async (o: { asKnownAt?: string }) => {
      const asKnownAt = args.asKnownAt(o.asKnownAt);
      await withLedger(globals().store, async ({ queries }) => {
        const found = queries.violations(asKnownAt);
        out(found, () =>
          table(
            found.map((v) => ({
              programId: v.programId,
              shipmentId: v.shipmentId,
              shippedOn: v.shippedOn,
              units: v.units,
              position: v.position,
              now: v.asKnownNow.status,
              'when recorded': v.asKnownWhenRecorded.status,
            })),
          ),
        );
      });
    });
}
