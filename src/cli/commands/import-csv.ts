import type { Cli } from '../cli.ts';
import { csvFilesOf, recordAll, rehearse } from '../csv-import.ts';
import { csvRecords } from '../csv-records.ts';
import { fillingWithinHistory } from '../integrity.ts';
import { keyDirOption } from '../options.ts';
import { openStore } from '../store-option.ts';

export function importCsvCommand(cli: Cli): void {
  const { program, globals, out } = cli;
  program
    .command('import-csv <paths...>')
    .description(
      'record an office spreadsheet: specifications.csv, tdp-releases.csv, programs.csv, letters.csv, terms.csv, license-applications.csv, license-decisions.csv, shipments.csv (files, or folders holding them); all rows or none',
    )
    .addOption(keyDirOption(cli.config))
    .action(async (paths: string[], o: { keyDir: string }) => {
      const records = csvRecords(csvFilesOf(paths));
      const url = globals().store;
      const store = await openStore(url);
      try {
        // Rehearsed first: a refused row leaves the store as it was, its history not begun.
        await rehearse(store, records);
        const report = await fillingWithinHistory(store, url, o.keyDir, () =>
          recordAll(store, records),
        );
        out(report, () =>
          report.recorded === 0
            ? `nothing new: all ${report.rows} rows were recorded before`
            : `recorded ${report.recorded} events from ${report.rows} rows${report.alreadyRecorded > 0 ? ` (${report.alreadyRecorded} rows were recorded before)` : ''}`,
        );
      } finally {
        await store.close();
      }
    });
}
