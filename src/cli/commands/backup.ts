import { sqlitePath } from '../../eventstore/open.ts';
import { BackupTargetExistsError, backupSqliteLedger } from '../../eventstore/sqlite/index.ts';
import type { Cli } from '../cli.ts';
import { CliError, EXIT } from '../exit-codes.ts';

export function backupCommand(cli: Cli): void {
  const { program, globals, out } = cli;
  program
    .command('backup')
    .description(
      'copy a sqlite: ledger consistently, also while the service runs (for an auditor, or safe keeping)',
    )
    .requiredOption('--out <file>', 'the copy to write: a new file')
    .action(async (o: { out: string }) => {
      const url = globals().store;
      const path = sqlitePath(url);
      if (path === null)
        throw new CliError(
          EXIT.refused,
          `backup copies a sqlite: ledger; for ${url.split(':')[0]}: use the database's own backup (PostgreSQL: pg_dump, see the README)`,
        );
      const copied = await backupSqliteLedger(path, o.out).catch((error: unknown) => {
        if (error instanceof BackupTargetExistsError)
          throw new CliError(EXIT.refused, error.message);
        throw new CliError(EXIT.failure, `cannot back up ${path}: ${(error as Error).message}`);
      });
      out(
        { out: o.out, pages: copied.pages },
        () => `ledger copied to ${o.out} (${copied.pages} pages)`,
      );
    });
}
