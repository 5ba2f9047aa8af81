import * as args from '../arguments.ts';
import type { Cli } from '../cli.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { table } from '../render.ts';
import { withLedger } from '../store-option.ts';

export function checkCommand(cli: Cli): void {
  const { program, globals, out } = cli;
  program
    .command('check <program>')
    .description('would a planned shipment be allowed, why, and what is left under each limit')
    .requiredOption('--shipped-on <date>', 'the planned shipping date (may lie in the future)')
    .requiredOption('--units <n>', 'the units to ship')
    .option('--customer <ref>', 'the customer the units go to')
    .option('--destination <place>', 'where the units go')
    .option('--as-known-at <position|instant>', 'answer as the ledger knew it then')
    .action(
      async (
        id: string,
        o: {
          shippedOn: string;
          units: string;
          customer?: string;
          destination?: string;
          asKnownAt?: string;
        },
      ) => {
        const programId = args.programId(id);
        const line = {
          shippedOn: args.date(o.shippedOn, '--shipped-on'),
          units: args.units(o.units, '--units'),
          ...(o.customer !== undefined && {
            customerRef: args.reference(o.customer, '--customer'),
          }),
          ...(o.destination !== undefined && {
            destination: args.reference(o.destination, '--destination'),
          }),
        };
        const asKnownAt = args.asKnownAt(o.asKnownAt);
        await withLedger(globals().store, async ({ queries }) => {
          if (!queries.status(programId, { at: line.shippedOn }))
            throw new CliError(EXIT.notFound, `no program ${programId} in the ledger`);
          const [answer] = queries.check(programId, [line], asKnownAt);
          if (!answer) return;
          out({ programId, ...line, ...answer }, () =>
            [
              `${programId}: ${line.units} units on ${line.shippedOn}: ${answer.decision}`,
              answer.explanation,
              answer.remaining.length > 0 &&
                table(
                  answer.remaining.map((r) => ({
                    limit: `${r.limit} per ${r.per}`,
                    'set by': r.setBy,
                    period: r.period.name,
                    used: r.used,
                    remaining: r.remaining,
                  })),
                ),
            ]
              .filter(Boolean)
              .join('\n'),
          );
          if (answer.decision === 'blocked') process.exitCode = EXIT.blocked;
        });
      },
    );
}
