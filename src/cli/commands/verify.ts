import { readLedger } from '../../integrity/verify-ledger.ts';
import { verifyLedgerSignatures } from '../../integrity/verify-signatures.ts';
import type { Cli } from '../cli.ts';
import { EXIT } from '../exit-codes.ts';
import { openStore } from '../store-option.ts';
import { describeProblem, verifyWithProgress } from '../verify.ts';

export function verifyCommand(cli: Cli): void {
  const { program, globals, out } = cli;
  program
    .command('verify')
    .description(
      "check every hash chain and every signature's hashes; exit 1 naming the first bad event and each broken signature",
    )
    .action(async () => {
      const url = globals().store;
      const store = await openStore(url, { readOnly: true });
      try {
        const chains = await verifyWithProgress(store);
        const signatures = await verifyLedgerSignatures(() => readLedger(store));
        const ok = chains.ok && signatures.problems.length === 0;
        out({ ...chains, ok, signatures }, () =>
          [
            chains.ok
              ? `ledger intact: ${chains.events} events in ${chains.streams} streams`
              : describeProblem(chains),
            ...(signatures.problems.length === 0
              ? signatures.signatures > 0
                ? [`${signatures.signatures} signatures match the events they sign`]
                : []
              : signatures.problems.map((p) => `signature broken: ${p.message}`)),
          ].join('\n'),
        );
        if (!ok) process.exitCode = EXIT.integrity;
      } finally {
        await store.close();
      }
    });
}
