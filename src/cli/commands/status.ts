import { officeToday } from '../../config.ts';
import type { ProgramStatus } from '../../domain/index.ts';
import * as args from '../arguments.ts';
import type { Cli } from '../cli.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { table } from '../render.ts';
import { withLedger } from '../store-option.ts';

export function statusCommand(cli: Cli): void {
  const { program, globals, out, config } = cli;
  program
    .command('status <program>')
    .description('is the program authorized on a date, until when, and why')
    .option('--at <date>', 'the valid date asked about (default: today)')
    .option('--as-known-at <position|instant>', 'answer as the ledger knew it then')
    .action(async (id: string, o: { at?: string; asKnownAt?: string }) => {
      const programId = args.programId(id);
      const at = o.at === undefined ? officeToday(config) : args.date(o.at, '--at');
      const asKnownAt = args.asKnownAt(o.asKnownAt);
      await withLedger(globals().store, async ({ queries }) => {
        const status = queries.status(programId, { at, ...(asKnownAt ? { asKnownAt } : {}) });
        if (!status) throw new CliError(EXIT.notFound, `no program ${programId} in the ledger`);
        out({ programId, ...status }, () =>
          [
            `${programId} on ${status.at}: ${status.status} (${status.rule})`,
            `authorized from ${status.authorizedFrom ?? '-'} until ${status.until ?? 'open-ended'}`,
            ...windowDetails(status),
            ...status.pendingConditions.map((p) => `pending: ${p.description}`),
            status.explanation,
            table(status.basis.map((b) => ({ ...b, roles: b.roles.join(', ') }))),
          ].join('\n'),
        );
      });
    });
}

/** The answer's dates beside `until` that a reader needs: the inclusive last day, the window's end. */
function windowDetails(status: ProgramStatus): string[] {
  return [
    status.lastAuthorizedDay && `last authorized day ${status.lastAuthorizedDay}`,
    status.windowEnd && status.windowEnd !== status.until && `window ends ${status.windowEnd}`,
    status.resumesOn && `resumes on ${status.resumesOn}`,
  ].filter((line): line is string => Boolean(line));
}
