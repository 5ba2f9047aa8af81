import type { Cli } from '../cli.ts';
import { openStore } from '../open-ledger.ts';
import { EXAMPLE_PROGRAM, seedExample } from '../seed-example.ts';

export function seedExampleCommand(cli: Cli): void {
  const { program, globals, out } = cli;
  program
    .command('seed-example')
    .description('record the founding case as the 2005-12-08 press release knew it')
    .action(async () => {
      const store = await openStore(globals().store);
      try {
        const position = await seedExample(store);
        out(
          { programId: EXAMPLE_PROGRAM, position },
          () =>
            `recorded the founding case: try \`ledger status ${EXAMPLE_PROGRAM} --at 2006-06-01\``,
        );
      } finally {
        await store.close();
      }
    });
}
