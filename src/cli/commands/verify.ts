import type { Cli } from '../cli.ts';
import { EXIT } from '../exit-codes.ts';
import { openStore } from '../open-ledger.ts';
import { describeProblem, verifyWithProgress } from '../verify.ts';

export function verifyCommand(cli: Cli): void {
  const { program, globals, out } = cli;
  program
    .command('verify')
    .description('check every hash chain; exit 1 naming the first bad event')
    .action(async () => {
      const url = globals().store;
      const store = await openStore(url, { readOnly: true });
      try {
        const report = await verifyWithProgress(store);
        out(report, () =>
          report.ok
            ? `ledger intact: ${report.events} events in ${report.streams} streams`
            : describeProblem(report),
        );
        if (!report.ok) process.exitCode = EXIT.integrity;
      } finally {
        await store.close();
      }
    });
}
