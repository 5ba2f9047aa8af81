import { writeFileSync } from 'node:fs';
import { MerkleForkError } from '../../eventstore/errors.ts';
import { CheckpointHistoryMissingError } from '../../integrity/ledger-checkpoints.ts';
import type { Cli } from '../cli.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { checkpointsOf } from '../integrity.ts';
import { keyDirOption } from '../options.ts';
import { printJson } from '../render.ts';
import { openStore } from '../store-option.ts';

export function checkpointCommand(cli: Cli): void {
  const { program, globals } = cli;
  program
    .command('checkpoint')
    .description(
      "sign a checkpoint of the ledger's Merkle tree (or give the latest if it did not grow)",
    )
    .option(
      '--out <file>',
      'write the signed note to a file (e.g. the trusted checkpoint of an audit)',
    )
    .option(
      '--start-new-history',
      'sign although no checkpoint is kept and the ledger has events (after `compliance-ledger import`, or a lost history): only when you know why',
    )
    .addOption(keyDirOption(cli.config))
    .action(async (o: { out?: string; keyDir: string; startNewHistory?: boolean }) => {
      const url = globals().store;
      const store = await openStore(url);
      try {
        const { origin, treeSize, rootHash, note } = await checkpointsOf(store, url, o.keyDir)
          .latest({ startNewHistory: o.startNewHistory === true })
          .catch((error: unknown) => {
            if (error instanceof CheckpointHistoryMissingError)
              throw new CliError(EXIT.refused, error.message);
            // The ledger does not extend what was signed: tampering, and nothing is signed.
            if (error instanceof MerkleForkError) throw new CliError(EXIT.integrity, error.message);
            throw error;
          });
        if (o.out) {
          writeFileSync(o.out, note);
          process.stderr.write(`checkpoint of tree size ${treeSize} written to ${o.out}\n`);
        } else if (globals().json) {
          printJson({ origin, treeSize, rootHash: Buffer.from(rootHash).toString('base64'), note });
        } else process.stdout.write(note);
      } finally {
        await store.close();
      }
    });
}
