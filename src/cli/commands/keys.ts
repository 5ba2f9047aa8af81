import { Option } from 'commander';
import {
  addKey,
  DuplicateKeyNameError,
  Role,
  readCredentials,
  revokeKey,
  UnknownKeyError,
} from '../../api/credentials.ts';
import type { Cli } from '../cli.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { table } from '../render.ts';

export function keysCommand(cli: Cli): void {
  const { program, out } = cli;
  const keys = program
    .command('keys')
    .description('API keys (held hashed in the credentials file)')
    .option('--credentials <file>', 'the credentials file', cli.config.LEDGER_CREDENTIALS);
  const credentials = () => keys.opts<{ credentials: string }>().credentials;

  keys
    .command('add')
    .description('create a key; it is printed once')
    .requiredOption('--name <name>', 'who holds it (becomes recordedBy); unique in the file')
    .addOption(
      new Option('--role <role>', 'what it may do').choices(Role.options).makeOptionMandatory(),
    )
    .action((o: { name: string; role: Role }) => {
      const { key, entry } = refusingDuplicates(() => addKey(credentials(), o.name, o.role));
      out(
        { ...entry, key },
        () => `${entry.role} key for ${entry.name} (id ${entry.id}), shown once:\n${key}`,
      );
    });

  keys
    .command('list')
    .description('every key, without secrets')
    .action(() => {
      const entries = readCredentials(credentials()).map(({ sha256: _, ...k }) => k);
      out(entries, () => table(entries));
    });

  keys
    .command('revoke <id>')
    .description('revoke a key; the server stops accepting it at once')
    .action((id: string) => {
      let entry: ReturnType<typeof revokeKey>;
      try {
        entry = revokeKey(credentials(), id);
      } catch (error) {
        if (error instanceof UnknownKeyError) throw new CliError(EXIT.notFound, error.message);
        throw error;
      }
      out(entry, () => `revoked key ${entry.id} (${entry.name}) at ${entry.revokedAt}`);
    });
}

function refusingDuplicates<T>(add: () => T): T {
  try {
    return add();
  } catch (error) {
    if (error instanceof DuplicateKeyNameError) throw new CliError(EXIT.refused, error.message);
    throw error;
  }
}
