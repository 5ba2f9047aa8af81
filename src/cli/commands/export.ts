import type { Cli } from '../cli.ts';
import { openStore } from '../store-option.ts';
import { exportLedger } from '../transfer.ts';

export function exportCommand(cli: Cli): void {
  const { program, globals } = cli;
  program
    .command('export')
    .description('the raw ledger as NDJSON, envelopes included')
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (o: { out?: string }) => {
      const store = await openStore(globals().store, { readOnly: true });
      try {
        const events = await exportLedger(store, o.out);
        if (o.out) process.stderr.write(`exported ${events} events to ${o.out}\n`);
      } finally {
        await store.close();
      }
    });
}
