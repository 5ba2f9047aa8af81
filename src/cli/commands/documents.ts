import { readLedger } from '../../integrity/verify-ledger.ts';
import type { Cli } from '../cli.ts';
import { checkDocuments } from '../documents.ts';
import { EXIT } from '../exit-codes.ts';
import { table } from '../render.ts';
import { openStore } from '../store-option.ts';

/** Exit 1 when a document differs from its recorded hash, else 3 when one is missing or not opened. */
export function documentsCommand(cli: Cli): void {
  const { program, globals, out } = cli;
  program
    .command('documents')
    .description('the documents facts cite')
    .command('check <folder>')
    .description(
      'compare each cited document (<folder>/<documentRef>) with the SHA-256 recorded with the fact; exit 1 when one differs',
    )
    .action(async (folder: string) => {
      const store = await openStore(globals().store, { readOnly: true });
      try {
        const checks = await checkDocuments(readLedger(store), folder);
        const count = (state: string) => checks.filter((c) => c.state === state).length;
        const unopened = count('refused') + count('symlink') + count('unreadable');
        out(checks, () =>
          [
            table(checks, ['position', 'type', 'documentRef', 'state', 'recorded', 'found']),
            `${count('matches')} match, ${count('differs')} differ, ${count('missing')} missing, ${count('no-hash-recorded')} cited without a hash, ${unopened} not opened (refused, a symbolic link, or unreadable)`,
          ].join('\n'),
        );
        if (count('differs') > 0) process.exitCode = EXIT.integrity;
        else if (count('missing') + unopened > 0) process.exitCode = EXIT.notFound;
      } finally {
        await store.close();
      }
    });
}
