import { AuditFailure } from '../audit.ts';
import type { Cli } from '../cli.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { policyOf, publicKeyOf, readTrusted } from '../integrity.ts';
import { keyDirOption } from '../options.ts';
import { checkReceiptAgainst, checkReceiptSignature, checkReceiptTimestamp } from '../receipt.ts';
import { openStore } from '../store-option.ts';

/** `ledger receipt verify FILE`: offline with the public key; with --store, against the ledger. */
export function receiptCommand(cli: Cli): void {
  const { program, globals, out } = cli;
  program
    .command('receipt')
    .description('signed answers (docs/receipts.md)')
    .command('verify <file>')
    .description(
      "check a receipt's signature offline; with --store, recompute its answer from the ledger cut at its tree size",
    )
    .option(
      '--public-key <file>',
      'the verifier key (.vkey) or PEM (default: the one in --key-dir)',
    )
    .option(
      '--policy <file>',
      "a witness policy (as for audit): the checkpoint the receipt cites must carry the quorum of the witnesses' cosignatures",
    )
    .option(
      '--tsa-ca <file>',
      "the timestamping authority's CA (PEM): also check the receipt's RFC 3161 timestamp token",
    )
    .addOption(keyDirOption(cli.config))
    .action(
      async (
        file: string,
        o: { publicKey?: string; keyDir: string; policy?: string; tsaCa?: string },
      ) => {
        const policy = o.policy === undefined ? undefined : policyOf(o.policy);
        const publicKey =
          policy !== undefined && o.publicKey === undefined
            ? policy.log
            : publicKeyOf(o.publicKey, o.keyDir);
        const receipt = readTrusted(file, 'receipt');
        const recompute = program.getOptionValueSource('store') === 'cli';
        try {
          const body = checkReceiptSignature(receipt, publicKey, policy);
          const timestamp =
            o.tsaCa === undefined
              ? undefined
              : checkReceiptTimestamp(body, readTrusted(o.tsaCa, 'timestamping CA'));
          if (recompute) {
            const store = await openStore(globals().store, { readOnly: true });
            try {
              await checkReceiptAgainst(store, body);
            } finally {
              await store.close();
            }
          }
          out(
            { ok: true, recomputed: recompute, ...body, ...(timestamp ? { timestamp } : {}) },
            () =>
              [
                `receipt verified: signed by the checkpoint key, ${body.kind} of ${body.query.programId} at tree size ${body.checkpoint.treeSize}, issued ${body.issuedAt}`,
                ...(timestamp
                  ? [
                      `its checkpoint was timestamped by ${timestamp.authority} at ${timestamp.genTime} (RFC 3161)`,
                    ]
                  : []),
                recompute
                  ? 'the ledger given holds that tree and gives the same answer'
                  : 'signature only: give --store to recompute the answer from the ledger',
              ].join('\n'),
          );
        } catch (error) {
          if (error instanceof AuditFailure)
            throw new CliError(EXIT.integrity, `receipt failed: ${error.message}`);
          throw error;
        }
      },
    );
}
