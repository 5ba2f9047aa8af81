import { writeFileSync } from 'node:fs';
import { Option } from 'commander';
import { printedNames } from '../../api/people.ts';
import * as args from '../arguments.ts';
import { formatAuditTrail } from '../audit-trail-formats.ts';
import type { Cli } from '../cli.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { withLedger } from '../store-option.ts';
import { programReport } from './report.ts';

export function auditTrailCommand(cli: Cli): void {
  const { program, globals } = cli;
  program
    .command('audit-trail <program>')
    .description('every event that affects the program, in record order')
    .option('--as-known-at <position|instant>', 'the trail as the ledger knew it then')
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['table', 'json', 'csv', 'md', 'html'])
        .default('table'),
    )
    .option('--out <file>', 'write to a file instead of stdout')
    .action(
      async (
        id: string,
        o: { asKnownAt?: string; format: 'table' | 'json' | 'csv' | 'md' | 'html'; out?: string },
      ) => {
        const programId = args.programId(id);
        const asKnownAt = args.asKnownAt(o.asKnownAt);
        // The HTML form is the audit report (ledger report), kept here for existing scripts.
        if (o.format === 'html') {
          const html = await programReport(globals().store, programId, {
            ...(o.asKnownAt ? { asKnownAt: o.asKnownAt } : {}),
            keyDir: cli.config.LEDGER_CHECKPOINT_KEY,
            format: 'html',
          });
          if (o.out) writeFileSync(o.out, html);
          else process.stdout.write(html);
          return;
        }
        const format = o.format;
        const text = await withLedger(globals().store, async ({ queries }) => {
          const entries = await queries.auditTrail(
            programId,
            asKnownAt,
            printedNames(cli.config.LEDGER_CREDENTIALS),
          );
          if (!entries) throw new CliError(EXIT.notFound, `no program ${programId} in the ledger`);
          return formatAuditTrail(entries, globals().json ? 'json' : format);
        });
        if (o.out) writeFileSync(o.out, text);
        else process.stdout.write(text);
      },
    );
}
