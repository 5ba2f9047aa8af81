import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Option } from 'commander';
import { printedNames } from '../../api/people.ts';
import { verifyStore } from '../../composition/open-ledger.ts';
import { officeToday } from '../../config.ts';
import { KEY_FILES } from '../../integrity/checkpoint.ts';
import { buildAuditReport } from '../../reports/audit-report.ts';
import { formatReport } from '../../reports/formats.ts';
import { htmlReport } from '../../reports/html.ts';
import { toolVersion } from '../../reports/tool.ts';
import * as args from '../arguments.ts';
import type { Cli } from '../cli.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { keptCheckpointsOf, publicKeyOf } from '../integrity.ts';
import { keyDirOption } from '../options.ts';
import { cliConfig, withLedger } from '../store-option.ts';

export type ReportFormat = 'html' | 'json' | 'csv' | 'md';

/**
 * The audit report of a program, made at the latest checkpoint kept with the ledger (checked
 * with the public key, when one is at hand), with the hash chains verified.
 */
export async function programReport(
  url: string,
  programId: string,
  o: { at?: string; asKnownAt?: string; publicKey?: string; keyDir: string; format: ReportFormat },
): Promise<string> {
  const at = o.at === undefined ? officeToday(cliConfig()) : args.date(o.at, '--at');
  const asKnownAt = args.asKnownAt(o.asKnownAt);
  const hasKey = o.publicKey !== undefined || existsSync(join(o.keyDir, KEY_FILES.verifierKey));
  return withLedger(url, async ({ store, queries, projections }) => {
    const kept =
      hasKey && store.signedCheckpoints
        ? keptCheckpointsOf(store, publicKeyOf(o.publicKey, o.keyDir))
        : null;
    const checkpoint = (await kept?.all())?.at(-1) ?? null;
    const report = await buildAuditReport(queries, projections, programId, {
      at,
      ...(asKnownAt ? { asKnownAt } : {}),
      checkpoint,
      headPosition: await store.headPosition(),
      verification: await verifyStore(store),
      tool: toolVersion(),
      generatedAt: new Date().toISOString(),
      personOf: printedNames(cliConfig().LEDGER_CREDENTIALS),
    });
    if (!report) throw new CliError(EXIT.notFound, `no program ${programId} in the ledger`);
    return o.format === 'html' ? htmlReport(report) : formatReport(report, o.format);
  });
}

export function reportCommand(cli: Cli): void {
  const { program, globals } = cli;
  program
    .command('report <program>')
    .description(
      "the program's audit report: every event in words, violations, backdated facts, the signed checkpoint and the verification result",
    )
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['html', 'json', 'csv', 'md'])
        .default('html'),
    )
    .option('--at <date>', 'the status date (default: today)')
    .option(
      '--as-known-at <position|instant>',
      'as the ledger knew it then (default: the signed checkpoint)',
    )
    .option(
      '--public-key <file>',
      'the verifier key (.vkey) or PEM (default: the one in --key-dir)',
    )
    .addOption(keyDirOption(cli.config))
    .option('--out <file>', 'write to a file instead of stdout')
    .action(
      async (
        id: string,
        o: {
          format: ReportFormat;
          at?: string;
          asKnownAt?: string;
          publicKey?: string;
          keyDir: string;
          out?: string;
        },
      ) => {
        const text = await programReport(globals().store, args.programId(id), o);
        if (o.out) writeFileSync(o.out, text);
        else process.stdout.write(text);
      },
    );
}
