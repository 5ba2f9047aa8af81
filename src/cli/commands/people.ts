import { addPerson, listPeople, PersonError, setPassphrase } from '../../api/people.ts';
import type { Cli } from '../cli.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { table } from '../render.ts';

/**
 * People who sign (docs/design.md "Signatures"), kept in the credentials file beside the keys.
 * A passphrase is read from standard input, never from the command line (argv is visible to
 * other users of the machine) and never printed.
 */
export function peopleCommand(cli: Cli): void {
  const { program, out } = cli;
  const people = program
    .command('people')
    .description('people who sign, with their API keys and signing passphrases')
    .option('--credentials <file>', 'the credentials file', cli.config.LEDGER_CREDENTIALS);
  const credentials = () => people.opts<{ credentials: string }>().credentials;

  people
    .command('add')
    .description('register a person: the printed name a signature shows, an email, their key ids')
    .requiredOption('--name <name>', 'the printed name, e.g. "Jane Doe"')
    .requiredOption('--email <email>', 'their email, unique in the file')
    .requiredOption(
      '--key-id <id...>',
      'the id(s) of the API keys they use (compliance-ledger keys list)',
    )
    .action((o: { name: string; email: string; keyId: string[] }) => {
      const person = refusing(() =>
        addPerson(credentials(), { name: o.name, email: o.email, keyIds: o.keyId }),
      );
      out(
        person,
        () =>
          `registered ${person.name} <${person.email}> (id ${person.id}) for keys ${person.keyIds.join(', ')}; set a passphrase: compliance-ledger people passphrase ${person.id}`,
      );
    });

  people
    .command('list')
    .description('every person, without passphrases')
    .action(() => {
      const entries = listPeople(credentials());
      out(entries, () => table(entries));
    });

  people
    .command('passphrase <id>')
    .description(
      "set a person's signing passphrase, read from standard input (also unlocks them); they should change it through the API",
    )
    .action(async (id: string) => {
      const passphrase = (await readStdin()).replace(/\r?\n$/, '');
      const person = await refusingAsync(() => setPassphrase(credentials(), id, passphrase));
      out(person, () => `signing passphrase set for ${person.name} (id ${person.id}); unlocked`);
    });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A request the file cannot satisfy is refused (exit 4), an unknown person is not found (exit 3). */
function asCliError(error: unknown): unknown {
  if (!(error instanceof PersonError)) return error;
  return new CliError(error.reason === 'unknown' ? EXIT.notFound : EXIT.refused, error.message);
}

function refusing<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw asCliError(error);
  }
}

async function refusingAsync<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asCliError(error);
  }
}
