import { officeToday } from '../../config.ts';
import * as args from '../arguments.ts';
import type { Cli } from '../cli.ts';
import { table } from '../render.ts';
import { withLedger } from '../store-option.ts';

export function deadlinesCommand(cli: Cli): void {
  const { program, globals, out, config } = cli;
  program
    .command('deadlines')
    .description('programs whose authorization ends within N days')
    .option('--within <days>', 'days ahead', '90')
    .option('--today <date>', 'count from this date (default: today)')
    .option('--as-known-at <position|instant>', 'answer as the ledger knew it then')
    .action(async (o: { within: string; today?: string; asKnownAt?: string }) => {
      const withinDays = args.count(o.within, '--within');
      const today = o.today === undefined ? officeToday(config) : args.date(o.today, '--today');
      const asKnownAt = args.asKnownAt(o.asKnownAt);
      await withLedger(globals().store, async ({ queries }) => {
        const found = queries.deadlines({ today, withinDays, ...(asKnownAt ? { asKnownAt } : {}) });
        out(found, () =>
          table(found, [
            'programId',
            'until',
            'lastAuthorizedDay',
            'windowEnd',
            'daysLeft',
            'rule',
          ]),
        );
      });
    });
}
