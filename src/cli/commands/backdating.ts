import * as args from '../arguments.ts';
import type { Cli } from '../cli.ts';
import { table } from '../render.ts';
import { withLedger } from '../store-option.ts';

export function backdatingCommand(cli: Cli): void {
  const { program, globals, out } = cli;
  program
    .command('backdating')
    .description('facts recorded more than N days after their valid date')
    .option('--threshold-days <n>', 'days', '30')
    .option('--as-known-at <position|instant>', 'the list as it read then')
    .action(async (o: { thresholdDays: string; asKnownAt?: string }) => {
      const threshold = args.count(o.thresholdDays, '--threshold-days');
      const asKnownAt = args.asKnownAt(o.asKnownAt);
      await withLedger(globals().store, async ({ queries }) => {
        const found = queries.backdating(threshold, asKnownAt);
        out(found, () =>
          table(found, ['position', 'type', 'stream', 'validDate', 'recordedAt', 'lagDays']),
        );
      });
    });
}
