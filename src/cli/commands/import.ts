import type { Cli } from '../cli.ts';
import { openStore } from '../open-ledger.ts';
import { importLedger } from '../transfer.ts';

export function importCommand(cli: Cli): void {
  const { program, globals, out } = cli;
  program
    .command('import <file>')
    .description(
      'load an NDJSON export into an empty store, preserving ids, hashes and record times',
    )
    .action(async (file: string) => {
      const store = await openStore(globals().store);
      try {
        const report = await importLedger(store, file);
        out(
          report,
          () =>
            `imported ${report.events} events in ${report.streams} streams; verify passed${report.renumbered ? `; positions renumbered 1..${report.events} (the export's were its source store's)` : ''}`,
        );
      } finally {
        await store.close();
      }
    });
}
