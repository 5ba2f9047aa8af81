import { proveInclusion } from '../../integrity/ledger-checkpoints.ts';
import { verifyCheckpoint, verifyInclusion } from '../../verify.ts';
import * as args from '../arguments.ts';
import type { Cli } from '../cli.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { keptCheckpointsOf, publicKeyOf } from '../integrity.ts';
import { hex, keyDirOption } from '../options.ts';
import { openStore } from '../store-option.ts';

export function proofCommand(cli: Cli): void {
  const { program, globals, out } = cli;
  program
    .command('proof')
    .description('Merkle proofs')
    .command('inclusion <eventId>')
    .description('prove that an event is in the ledger of a signed checkpoint (reads only)')
    .option('--tree-size <n>', 'the size of a checkpoint signed earlier (default: the latest kept)')
    .option(
      '--public-key <file>',
      'the verifier key (.vkey) or PEM (default: the one in --key-dir)',
    )
    .addOption(keyDirOption(cli.config))
    .action(
      async (eventId: string, o: { treeSize?: string; publicKey?: string; keyDir: string }) => {
        const treeSize =
          o.treeSize === undefined ? undefined : args.count(o.treeSize, '--tree-size');
        const publicKey = publicKeyOf(o.publicKey, o.keyDir);
        const store = await openStore(globals().store, { readOnly: true });
        try {
          const checkpoints = keptCheckpointsOf(store, publicKey);
          const answer = await proveInclusion(store, checkpoints, eventId, treeSize);
          if (!answer.ok) throw new CliError(EXIT.notFound, answer.detail);
          const { leafIndex, leafHash, proof, checkpoint } = answer;
          // Checked here as an auditor would, with the size and root of the signed note.
          const signed = verifyCheckpoint(checkpoint.note, publicKey);
          const verified = verifyInclusion(
            leafHash,
            leafIndex,
            signed.treeSize,
            proof,
            signed.rootHash,
          );
          const result = {
            eventId,
            leafIndex,
            treeSize: signed.treeSize,
            leafHash: hex(leafHash),
            proof: proof.map(hex),
            verified,
            note: checkpoint.note,
          };
          out(result, () =>
            [
              `event ${eventId} is leaf ${leafIndex} of the tree of size ${signed.treeSize}: ${verified ? 'proof verified against the signed checkpoint' : 'THE PROOF DOES NOT VERIFY'}`,
              `leaf hash ${result.leafHash}`,
              `proof (${proof.length} hashes, bottom-up):`,
              ...result.proof.map((p) => `  ${p}`),
              'checkpoint:',
              checkpoint.note.trimEnd(),
            ].join('\n'),
          );
          if (!verified) process.exitCode = EXIT.integrity;
        } finally {
          await store.close();
        }
      },
    );
}
