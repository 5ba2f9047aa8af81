import { sqlitePath } from '../../eventstore/open.ts';
import type { RecordedEvent } from '../../eventstore/port.ts';
import { readLedger } from '../../integrity/verify-ledger.ts';
import { verifyLedgerSignatures } from '../../integrity/verify-signatures.ts';
import { RECEIPT_HEADER } from '../../verify.ts';
import { AuditFailure, auditLedger } from '../audit.ts';
import { auditKeptAnswers, auditServedAnswers } from '../audit-answers.ts';
import type { Cli } from '../cli.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import {
  keptCheckpointsOf,
  policyOf,
  publicKeyOf,
  readTrusted,
  replaceFile,
  serverLedger,
  storeLedger,
} from '../integrity.ts';
import { keyDirOption } from '../options.ts';
import { openStore } from '../store-option.ts';

/**
 * `ledger audit`: needs public material only (the trusted checkpoint and the public key) and
 * writes nothing but the trusted checkpoint, replaced once every check holds.
 */
export function auditCommand(cli: Cli): void {
  const { program, globals, out } = cli;
  program
    .command('audit')
    .description(
      'check the ledger against a trusted checkpoint: signature, consistency proof, every event, and every answer against a rebuild; replace the trusted checkpoint when all holds',
    )
    .requiredOption('--trusted <file>', 'the signed checkpoint you trust, kept outside the system')
    .option(
      '--url <url>',
      'audit a server instead of a store (API key from LEDGER_API_KEY, --api-key-file or --key)',
    )
    .option('--api-key-file <file>', 'a file holding an API key of the server (any reader role)')
    .option(
      '--key <apiKey>',
      'an API key of the server; prefer LEDGER_API_KEY or --api-key-file (argv is visible to others)',
    )
    .option(
      '--public-key <file>',
      'the verifier key (.vkey) or PEM (default: the one in --key-dir)',
    )
    .option(
      '--policy <file>',
      "a witness policy (lines `log <vkey>`, `witness <vkey>`, `quorum <k>`): the trusted and the latest checkpoint must carry the quorum of the witnesses' cosignatures",
    )
    .addOption(keyDirOption(cli.config))
    .action(
      async (o: {
        policy?: string;
        trusted: string;
        url?: string;
        key?: string;
        apiKeyFile?: string;
        publicKey?: string;
        keyDir: string;
      }) => {
        if (o.url !== undefined && program.getOptionValueSource('store') === 'cli')
          throw new CliError(EXIT.usage, 'audit: give --store or --url, not both');
        if (o.url !== undefined && o.publicKey === undefined && o.policy === undefined)
          throw new CliError(EXIT.usage, 'audit --url needs --public-key or --policy');
        const apiKey = o.url === undefined ? undefined : apiKeyOf(o);
        const trustedNote = trustedCheckpointNote(o.trusted);
        const policy = o.policy === undefined ? undefined : policyOf(o.policy);
        const publicKey =
          policy !== undefined && o.publicKey === undefined
            ? policy.log
            : publicKeyOf(o.publicKey, o.keyDir);
        const run = async () => {
          if (o.url !== undefined) {
            const server = serverLedger(o.url, apiKey as string);
            const result = await withSignatures(server.events, () =>
              auditLedger(trustedNote, publicKey, server, policy),
            );
            const answers = await auditServedAnswers(
              server.get,
              server.events(),
              result.latest.treeSize,
            );
            return { ...result, answers, unsigned: 0 };
          }
          const url = globals().store;
          const store = await openStore(url, { readOnly: true });
          try {
            const checkpoints = keptCheckpointsOf(store, publicKey);
            const result = await withSignatures(
              () => readLedger(store),
              () => auditLedger(trustedNote, publicKey, storeLedger(store, checkpoints), policy),
            );
            const path = sqlitePath(url);
            const answers =
              path === null
                ? { programs: 0, position: result.latest.treeSize, skipped: [] }
                : await auditKeptAnswers(store, path, result.latest.treeSize);
            const unsigned = (await store.headPosition()) - result.latest.treeSize;
            return { ...result, answers, unsigned };
          } finally {
            await store.close();
          }
        };
        let result: Awaited<ReturnType<typeof run>>;
        try {
          result = await run();
        } catch (error) {
          if (error instanceof AuditFailure)
            throw new CliError(EXIT.integrity, `audit failed: ${error.message}`);
          throw error;
        }
        replaceFile(o.trusted, result.latest.note);
        const summary = {
          ok: true,
          from: result.trusted.treeSize,
          to: result.latest.treeSize,
          trusted: o.trusted,
          programs: result.answers.programs,
          unsigned: result.unsigned,
          skipped: result.answers.skipped,
          signatures: result.signatures,
        };
        out(summary, () =>
          [
            `audit passed: the ledger of tree size ${summary.to} extends the trusted one of size ${summary.from}, and its ${summary.to} events hash to the signed root; ${summary.signatures > 0 ? `its ${summary.signatures} signatures match the events they sign; ` : ''}${summary.programs > 0 ? `the answers for ${summary.programs} programs equal a rebuild from them` : 'no served answers to compare'}; ${o.trusted} now holds the new checkpoint`,
            ...(summary.unsigned > 0
              ? [`${summary.unsigned} events recorded after that checkpoint are not yet signed`]
              : []),
            ...summary.skipped.map(
              (s) => `read-model checkpoint not compared (the server rebuilds it): ${s}`,
            ),
          ].join('\n'),
        );
      },
    );
}

/**
 * The trusted checkpoint's text. An empty file is no checkpoint to trust (exit 7, like one that
 * cannot be read); a receipt is a mistaken argument, not tampering (exit 2).
 */
function trustedCheckpointNote(path: string): string {
  const note = readTrusted(path, '--trusted');
  if (note.trim() === '')
    throw new CliError(EXIT.trustedFile, `--trusted: ${path} is empty: no checkpoint to trust`);
  if (note.startsWith(`${RECEIPT_HEADER}\n`))
    throw new CliError(
      EXIT.usage,
      `--trusted: ${path} is a receipt, not a checkpoint: give the checkpoint note you kept (a receipt is checked with \`compliance-ledger receipt verify\`)`,
    );
  return note;
}

/**
 * Runs the audit and checks every signature's hashes against the events it names
 * (docs/design.md "Signatures"); a failure names both the signature and the event, beside what
 * the audit found.
 */
async function withSignatures<T>(
  events: () => AsyncIterable<RecordedEvent>,
  audit: () => Promise<T>,
): Promise<T & { signatures: number }> {
  const report = await verifyLedgerSignatures(events);
  const broken = report.problems.map((p) => p.message).join('; ');
  let result: T;
  try {
    result = await audit();
  } catch (error) {
    if (error instanceof AuditFailure && broken !== '')
      throw new AuditFailure(`${error.message}; and ${broken}`);
    throw error;
  }
  if (broken !== '') throw new AuditFailure(broken);
  return { ...result, signatures: report.signatures };
}

/** The API key: from --api-key-file, else --key, else LEDGER_API_KEY; none is exit 6. */
function apiKeyOf(o: { key?: string; apiKeyFile?: string }): string {
  const fromFile =
    o.apiKeyFile === undefined ? undefined : readTrusted(o.apiKeyFile, '--api-key-file').trim();
  const key = fromFile ?? o.key ?? process.env.LEDGER_API_KEY;
  if (!key)
    throw new CliError(
      EXIT.credentials,
      'no API key: set LEDGER_API_KEY, or give --api-key-file FILE (or --key)',
    );
  return key;
}
