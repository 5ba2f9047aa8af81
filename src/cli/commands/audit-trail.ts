import { writeFileSync } from 'node:fs';
import { Option } from 'commander';
import { programFacts } from '../../../projections/program-facts.ts';
import { todayUtc } from '../../domain/index.ts';
import * as args from '../arguments.ts';
import { formatAuditTrail } from '../audit-trail-formats.ts';
import type { Cli } from '../cli.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { htmlReport } from '../html-report.ts';
import { withLedger } from '../open-ledger.ts';

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
        const text = await withLedger(globals().store, async ({ queries, projections }) => {
          const entries = await queries.auditTrail(programId, asKnownAt);
          if (!entries) throw new CliError(EXIT.notFound, `no program ${programId} in the ledger`);
          if (o.format !== 'html')
            return formatAuditTrail(entries, globals().json ? 'json' : o.format);
          const registered = projections
            .state(programFacts)
            .programs.get(programId)
            ?.find((f) => f.type === 'ProgramRegistered');
          const status = queries.status(programId, {
            at: todayUtc(),
            ...(asKnownAt ? { asKnownAt } : {}),
          });
          const timeline = queries.timeline(programId, asKnownAt);
          if (registered?.type !== 'ProgramRegistered' || !status || !timeline)
            throw new CliError(EXIT.notFound, `no program ${programId} in the ledger`);
          return htmlReport({
            program: registered.data,
            status,
            timeline,
            entries,
            asKnownAt: o.asKnownAt ?? `now (position ${projections.position})`,
            generatedAt: new Date().toISOString(),
          });
        });
        if (o.out) writeFileSync(o.out, text);
        else process.stdout.write(text);
      },
    );
}
