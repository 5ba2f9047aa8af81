import type { Cli } from '../cli.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { fillingWithinHistory } from '../integrity.ts';
import { keyDirOption } from '../options.ts';
import { EXAMPLE_PROGRAM, seedExample } from '../seed-example.ts';
import { openStore } from '../store-option.ts';

export function seedExampleCommand(cli: Cli): void {
  const { program, globals, out } = cli;
  program
    .command('seed-example')
    .description('record the founding case as the 2005-12-08 press release knew it')
    .addOption(keyDirOption(cli.config))
    .action(async (o: { keyDir: string }) => {
      const url = globals().store;
      const store = await openStore(url);
      try {
        // The example is a ledger's first history: it is never mixed into records of an office.
        const held = await store.headPosition();
        if (held > 0)
          throw new CliError(
            EXIT.refused,
            `the ledger already holds ${held} events: seed-example records the founding case into an empty ledger only`,
          );
        const position = await fillingWithinHistory(store, url, o.keyDir, () => seedExample(store));
        out(
          { programId: EXAMPLE_PROGRAM, position },
          () =>
            `recorded the founding case: try \`compliance-ledger status ${EXAMPLE_PROGRAM} --at 2006-06-01\``,
        );
      } finally {
        await store.close();
      }
    });
}
