import type { Cli } from '../cli.ts';
import { fillingWithinHistory } from '../integrity.ts';
import { keyDirOption } from '../options.ts';
import { openStore } from '../store-option.ts';
import { importLedger } from '../transfer.ts';

export function importCommand(cli: Cli): void {
  const { program, globals, out } = cli;
  program
    .command('import <file>')
    .description(
      'load an NDJSON export into an empty store, preserving ids, hashes and record times',
    )
    .addOption(keyDirOption(cli.config))
    .action(async (file: string, o: { keyDir: string }) => {
      const url = globals().store;
      const store = await openStore(url);
      try {
        const report = await fillingWithinHistory(store, url, o.keyDir, () =>
          importLedger(store, file),
        );
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
