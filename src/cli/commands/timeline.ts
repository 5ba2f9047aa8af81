import * as args from '../arguments.ts';
import type { Cli } from '../cli.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { table } from '../render.ts';
import { withLedger } from '../store-option.ts';

export function timelineCommand(cli: Cli): void {
  const { program, globals, out } = cli;
  program
    .command('timeline <program>')
    .description("the program's status intervals over valid time")
    .option('--as-known-at <position|instant>', 'as the ledger knew it then')
    .action(async (id: string, o: { asKnownAt?: string }) => {
      const programId = args.programId(id);
      const asKnownAt = args.asKnownAt(o.asKnownAt);
      await withLedger(globals().store, async ({ queries }) => {
        const intervals = queries.timeline(programId, asKnownAt);
        if (!intervals) throw new CliError(EXIT.notFound, `no program ${programId} in the ledger`);
        out(intervals, () => table(intervals.map(({ basis: _, ...i }) => i)));
      });
    });
}
