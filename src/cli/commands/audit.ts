import { readFileSync } from 'node:fs';
import { AuditFailure, auditLedger } from '../audit.ts';
import type { Cli } from '../cli.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { checkpointsOf, replaceFile, serverLedger, storeLedger } from '../integrity.ts';
import { openStore } from '../open-ledger.ts';
import { keyDirOption, readText } from '../options.ts';

export function auditCommand(cli: Cli): void {
  const { program, globals, out } = cli;
  program
    .command('audit')
    .description(
      'check the ledger against a trusted checkpoint: signature, consistency proof and every event; replace the trusted checkpoint when all holds',
    )
    .requiredOption('--trusted <file>', 'the signed checkpoint you trust, kept outside the system')
    .option('--url <url>', 'audit a server (with --key) instead of a store')
    .option('--key <apiKey>', 'an API key of the server (any reader role)')
    .option('--public-key <file>', 'the verifier key (.vkey) or PEM of the signing key')
    .addOption(keyDirOption(cli.config))
    .action(
      async (o: {
        trusted: string;
        url?: string;
        key?: string;
        publicKey?: string;
        keyDir: string;
      }) => {
        if (o.url !== undefined && program.getOptionValueSource('store') === 'cli')
          throw new CliError(EXIT.usage, 'audit: give --store or --url, not both');
        if (o.url !== undefined && (o.key === undefined || o.publicKey === undefined))
          throw new CliError(EXIT.usage, 'audit --url needs --key and --public-key');
        const trustedNote = readText(o.trusted, '--trusted');
        const publicKey =
          o.publicKey === undefined ? undefined : readText(o.publicKey, '--public-key').trim();
        const run = async () => {
          if (o.url !== undefined)
            return auditLedger(
              trustedNote,
              publicKey as string,
              serverLedger(o.url, o.key as string),
            );
          const url = globals().store;
          const store = await openStore(url);
          try {
            const checkpoints = checkpointsOf(store, url, o.keyDir, { existingKey: true });
            return await auditLedger(
              trustedNote,
              publicKey ?? checkpoints.key.verifierKey,
              storeLedger(store, checkpoints),
            );
          } finally {
            await store.close();
          }
        };
        let result: Awaited<ReturnType<typeof auditLedger>>;
        try {
          result = await run();
        } catch (error) {
          if (error instanceof AuditFailure)
            throw new CliError(EXIT.integrity, `audit failed: ${error.message}`);
          throw error;
        }
        replaceFile(o.trusted, result.latest.note);
        const summary = {
          ok: true,
          from: result.trusted.treeSize,
          to: result.latest.treeSize,
          trusted: o.trusted,
        };
        out(
          summary,
          () =>
            `audit passed: the ledger of tree size ${summary.to} extends the trusted one of size ${summary.from}, and its ${summary.to} events hash to the signed root; ${o.trusted} now holds the new checkpoint`,
        );
      },
    );

  function _readText(file: string, option: string): string {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new CliError(EXIT.usage, `${option}: cannot read ${file}: ${(error as Error).message}`);
    }
  }
}
