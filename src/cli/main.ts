import { writeFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { factsOfProgram, programFacts } from '../../projections/program-facts.ts';
import { addKey, Role, readCredentials, revokeKey } from '../api/credentials.ts';
import { evaluate, type Status, todayUtc } from '../domain/index.ts';
import { DEFAULT_STORE_URL, sqlitePath } from '../eventstore/open.ts';
import { proveInclusion } from '../integrity/ledger-checkpoints.ts';
import { readLedger } from '../integrity/verify-ledger.ts';
import { ledgerProjections, ledgerQueries } from '../projections/ledger-queries.ts';
import { replayLedger } from '../projections/replay.ts';
import { verifyCheckpoint, verifyInclusion } from '../verify.ts';
import * as args from './arguments.ts';
import { AuditFailure, auditLedger } from './audit.ts';
import { auditKeptAnswers, auditServedAnswers } from './audit-answers.ts';
import { formatAuditTrail } from './audit-trail-formats.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { htmlReport } from './html-report.ts';
import {
  checkpointsOf,
  defaultKeyDir,
  keptCheckpointsOf,
  publicKeyOf,
  readTrusted,
  replaceFile,
  serverLedger,
  storeLedger,
} from './integrity.ts';
import { openStore, withLedger } from './open-ledger.ts';
import { progress } from './progress.ts';
import { checkReceiptAgainst, checkReceiptSignature } from './receipt.ts';
import { printJson, table } from './render.ts';
import { EXAMPLE_PROGRAM, seedExample } from './seed-example.ts';
import { exportLedger, importLedger } from './transfer.ts';
import { describeProblem, verifyStore } from './verify.ts';

const program = new Command('ledger')
  .description(
    "The compliance ledger's auditor tool: status, audit trails, replay, verify, signed checkpoints and proofs, audit, export and import.",
  )
  .option(
    '--store <url>',
    'the store: sqlite:<path>, memory: or esdb://host:2113?tls=false',
    process.env.LEDGER_STORE ?? DEFAULT_STORE_URL,
  )
  .option('--json', 'machine-readable JSON instead of tables')
  .showHelpAfterError(false)
  .exitOverride();

const globals = () => program.opts<{ store: string; json?: boolean }>();
const out = (rows: unknown, render: () => string) => {
  if (globals().json) printJson(rows);
  else process.stdout.write(`${render()}\n`);
};

program
  .command('status <program>')
  .description('is the program authorized on a date, until when, and why')
  .option('--at <date>', 'the valid date asked about (default: today)')
  .option('--as-known-at <position|instant>', 'answer as the ledger knew it then')
  .action(async (id: string, o: { at?: string; asKnownAt?: string }) => {
    const programId = args.programId(id);
    const at = o.at === undefined ? todayUtc() : args.date(o.at, '--at');
    const asKnownAt = args.asKnownAt(o.asKnownAt);
    await withLedger(globals().store, async ({ queries }) => {
      const status = queries.status(programId, { at, ...(asKnownAt ? { asKnownAt } : {}) });
      if (!status) throw new CliError(EXIT.notFound, `no program ${programId} in the ledger`);
      out({ programId, ...status }, () =>
        [
          `${programId} on ${status.at}: ${status.status} (${status.rule})`,
          `authorized from ${status.authorizedFrom ?? '-'} until ${status.until ?? 'open-ended'}`,
          ...status.pendingConditions.map((p) => `pending: ${p.description}`),
          status.explanation,
          table(status.basis.map((b) => ({ ...b, roles: b.roles.join(', ') }))),
        ].join('\n'),
      );
    });
  });

program
  .command('audit-trail <program>')
  .description('every event that affects the program, in record order')
  .option('--as-known-at <position|instant>', 'the trail as the ledger knew it then')
  .addOption(
    new Option('--format <format>', 'output format')
      .choices(['table', 'json', 'csv', 'md', 'html'])
      .default('table'),
  )
  .option('--out <file>', 'write to a file instead of stdout')
  .action(
    async (
      id: string,
      o: { asKnownAt?: string; format: 'table' | 'json' | 'csv' | 'md' | 'html'; out?: string },
    ) => {
      const programId = args.programId(id);
      const asKnownAt = args.asKnownAt(o.asKnownAt);
      const text = await withLedger(globals().store, async ({ queries, projections }) => {
        const entries = await queries.auditTrail(programId, asKnownAt);
        if (!entries) throw new CliError(EXIT.notFound, `no program ${programId} in the ledger`);
        if (o.format !== 'html')
          return formatAuditTrail(entries, globals().json ? 'json' : o.format);
        const registered = projections
          .state(programFacts)
          .programs.get(programId)
          ?.find((f) => f.type === 'ProgramRegistered');
        const status = queries.status(programId, {
          at: todayUtc(),
          ...(asKnownAt ? { asKnownAt } : {}),
        });
        const timeline = queries.timeline(programId, asKnownAt);
        if (registered?.type !== 'ProgramRegistered' || !status || !timeline)
          throw new CliError(EXIT.notFound, `no program ${programId} in the ledger`);
        return htmlReport({
          program: registered.data,
          status,
          timeline,
          entries,
          asKnownAt: o.asKnownAt ?? `now (position ${projections.position})`,
          generatedAt: new Date().toISOString(),
        });
      });
      if (o.out) writeFileSync(o.out, text);
      else process.stdout.write(text);
    },
  );

program
  .command('timeline <program>')
  .description("the program's status intervals over valid time")
  .option('--as-known-at <position|instant>', 'as the ledger knew it then')
  .action(async (id: string, o: { asKnownAt?: string }) => {
    const programId = args.programId(id);
    const asKnownAt = args.asKnownAt(o.asKnownAt);
    await withLedger(globals().store, async ({ queries }) => {
      const intervals = queries.timeline(programId, asKnownAt);
      if (!intervals) throw new CliError(EXIT.notFound, `no program ${programId} in the ledger`);
      out(intervals, () => table(intervals.map(({ basis: _, ...i }) => i)));
    });
  });

program
  .command('replay')
  .description('rebuild every projection from scratch and summarize the ledger')
  .addOption(
    new Option('--to-position <n>', 'stop after this global position').conflicts('asKnownAt'),
  )
  .option('--as-known-at <instant>', 'stop before the first event recorded after this instant')
  .action(async (o: { toPosition?: string; asKnownAt?: string }) => {
    const toPosition =
      o.toPosition === undefined ? undefined : args.count(o.toPosition, '--to-position');
    const cut = args.asKnownAt(o.asKnownAt);
    if (cut && 'position' in cut)
      throw new CliError(
        EXIT.usage,
        '--as-known-at: give an instant here; use --to-position for a position',
      );
    const store = await openStore(globals().store, { readOnly: true });
    try {
      const started = performance.now();
      const head = await store.headPosition();
      const bar = progress('replay', toPosition === undefined ? head : Math.min(head, toPosition));
      let n = 0;
      const replayed = await replayLedger(readLedger(store), ledgerProjections, {
        ...(toPosition !== undefined ? { toPosition } : {}),
        ...(cut && 'instant' in cut ? { asKnownAt: cut.instant } : {}),
        onEvent: () => {
          if (++n % 1000 === 0) bar.update(n);
        },
      });
      bar.update(n);
      bar.stop();
      const queries = ledgerQueries(store, replayed);
      const at = todayUtc();
      const statuses: Partial<Record<Status, number>> = {};
      const index = replayed.state(programFacts);
      for (const id of index.programs.keys()) {
        const s = evaluate(factsOfProgram(index, id) ?? [], { at }).status;
        statuses[s] = (statuses[s] ?? 0) + 1;
      }
      const summary = {
        events: replayed.events,
        position: replayed.position,
        programs: index.programs.size,
        statusesToday: statuses,
        violations: queries.violations().length,
        seconds: Number(((performance.now() - started) / 1000).toFixed(2)),
      };
      out(summary, () =>
        [
          `replayed ${summary.events} events (to position ${summary.position}) in ${summary.seconds} s`,
          `programs: ${summary.programs}`,
          `statuses on ${at}: ${
            Object.entries(statuses)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ') || 'none'
          }`,
          `violations: ${summary.violations}`,
        ].join('\n'),
      );
    } finally {
      await store.close();
    }
  });

program
  .command('verify')
  .description('check every hash chain; exit 1 naming the first bad event')
  .action(async () => {
    const url = globals().store;
    const store = await openStore(url, { readOnly: true });
    try {
      const report = await verifyStore(store, !url.startsWith('esdb'));
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

const keyDirOption = () =>
  new Option(
    '--key-dir <dir>',
    "the checkpoint key folder, as the server's LEDGER_CHECKPOINT_KEY",
  ).default(defaultKeyDir());
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

program
  .command('checkpoint')
  .description(
    "sign a checkpoint of the ledger's Merkle tree (or give the latest if it did not grow)",
  )
  .option(
    '--out <file>',
    'write the signed note to a file (e.g. the trusted checkpoint of an audit)',
  )
  .addOption(keyDirOption())
  .action(async (o: { out?: string; keyDir: string }) => {
    const url = globals().store;
    const store = await openStore(url);
    try {
      const { origin, treeSize, rootHash, note } = await checkpointsOf(
        store,
        url,
        o.keyDir,
      ).latest();
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

program
  .command('proof')
  .description('Merkle proofs')
  .command('inclusion <eventId>')
  .description('prove that an event is in the ledger of a signed checkpoint (reads only)')
  .option('--tree-size <n>', 'the size of a checkpoint signed earlier (default: the latest kept)')
  .option('--public-key <file>', 'the verifier key (.vkey) or PEM (default: the one in --key-dir)')
  .addOption(keyDirOption())
  .action(async (eventId: string, o: { treeSize?: string; publicKey?: string; keyDir: string }) => {
    const treeSize = o.treeSize === undefined ? undefined : args.count(o.treeSize, '--tree-size');
    const publicKey = publicKeyOf(o.publicKey, o.keyDir);
    const url = globals().store;
    const store = await openStore(url, { readOnly: true });
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
  });

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
  .option('--public-key <file>', 'the verifier key (.vkey) or PEM (default: the one in --key-dir)')
  .addOption(keyDirOption())
  .action(
    async (o: {
      trusted: string;
      url?: string;
      key?: string;
      apiKeyFile?: string;
      publicKey?: string;
      keyDir: string;
    }) => {
      if (o.url !== undefined && program.getOptionValueSource('store') === 'cli')
        throw new CliError(EXIT.usage, 'audit: give --store or --url, not both');
      if (o.url !== undefined && o.publicKey === undefined)
        throw new CliError(EXIT.usage, 'audit --url needs --public-key');
      const apiKey = o.url === undefined ? undefined : apiKeyOf(o);
      const trustedNote = readTrusted(o.trusted, '--trusted');
      const publicKey = publicKeyOf(o.publicKey, o.keyDir);
      const run = async () => {
        if (o.url !== undefined) {
          const server = serverLedger(o.url, apiKey as string);
          const result = await auditLedger(trustedNote, publicKey, server);
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
          const result = await auditLedger(trustedNote, publicKey, storeLedger(store, checkpoints));
          const answers = await auditKeptAnswers(
            store,
            sqlitePath(url) as string,
            result.latest.treeSize,
          );
          return {
            ...result,
            answers,
            unsigned: (await store.headPosition()) - result.latest.treeSize,
          };
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
      };
      out(summary, () =>
        [
          `audit passed: the ledger of tree size ${summary.to} extends the trusted one of size ${summary.from}, and its ${summary.to} events hash to the signed root; the answers for ${summary.programs} programs equal a rebuild from them; ${o.trusted} now holds the new checkpoint`,
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

/** The API key: LEDGER_API_KEY, else the file, else argv; none is exit 6. */
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

program
  .command('import <file>')
  .description('load an NDJSON export into an empty store, preserving ids, hashes and record times')
  .action(async (file: string) => {
    const store = await openStore(globals().store);
    try {
      const report = await importLedger(store, file);
      out(
        report,
        () => `imported ${report.events} events in ${report.streams} streams; verify passed`,
      );
    } finally {
      await store.close();
    }
  });

program
  .command('deadlines')
  .description('programs whose authorization ends within N days')
  .option('--within <days>', 'days ahead', '90')
  .option('--today <date>', 'count from this date (default: today)')
  .action(async (o: { within: string; today?: string }) => {
    const withinDays = args.count(o.within, '--within');
    const today = o.today === undefined ? todayUtc() : args.date(o.today, '--today');
    await withLedger(globals().store, async ({ queries }) => {
      const found = queries.deadlines({ today, withinDays });
      out(found, () => table(found, ['programId', 'until', 'daysLeft', 'rule']));
    });
  });

program
  .command('violations')
  .description('shipments outside an authorization, as known now and when recorded')
  .action(async () => {
    await withLedger(globals().store, async ({ queries }) => {
      const found = queries.violations();
      out(found, () =>
        table(
          found.map((v) => ({
            programId: v.programId,
            shipmentId: v.shipmentId,
            shippedOn: v.shippedOn,
            units: v.units,
            position: v.position,
            now: v.asKnownNow.status,
            'when recorded': v.asKnownWhenRecorded.status,
          })),
        ),
      );
    });
  });

program
  .command('backdating')
  .description('facts recorded more than N days after their valid date')
  .option('--threshold-days <n>', 'days', '30')
  .action(async (o: { thresholdDays: string }) => {
    const threshold = args.count(o.thresholdDays, '--threshold-days');
    await withLedger(globals().store, async ({ queries }) => {
      const found = queries.backdating(threshold);
      out(found, () =>
        table(found, ['position', 'type', 'stream', 'validDate', 'recordedAt', 'lagDays']),
      );
    });
  });

program
  .command('receipt')
  .description('signed answers')
  .command('verify <file>')
  .description(
    "check a receipt's signature offline; with --store, recompute its answer from the ledger cut at its tree size",
  )
  .option('--public-key <file>', 'the verifier key (.vkey) or PEM (default: the one in --key-dir)')
  .addOption(keyDirOption())
  .action(async (file: string, o: { publicKey?: string; keyDir: string }) => {
    const publicKey = publicKeyOf(o.publicKey, o.keyDir);
    const receipt = readTrusted(file, 'receipt');
    const recompute = program.getOptionValueSource('store') === 'cli';
    try {
      const body = checkReceiptSignature(receipt, publicKey);
      if (recompute) {
        const store = await openStore(globals().store, { readOnly: true });
        try {
          await checkReceiptAgainst(store, body);
        } finally {
          await store.close();
        }
      }
      const { programId } = body.query;
      out({ ok: true, recomputed: recompute, ...body }, () =>
        [
          `receipt verified: signed by the checkpoint key, ${body.kind} of ${programId} at tree size ${body.checkpoint.treeSize}, issued ${body.issuedAt}`,
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
  });

program
  .command('seed-example')
  .description('record the founding case as the 2005-12-08 press release knew it')
  .action(async () => {
    const store = await openStore(globals().store);
    try {
      const position = await seedExample(store);
      out(
        { programId: EXAMPLE_PROGRAM, position },
        () =>
          `recorded the founding case: try \`ledger status ${EXAMPLE_PROGRAM} --at 2006-06-01\``,
      );
    } finally {
      await store.close();
    }
  });

const keys = program
  .command('keys')
  .description('API keys (held hashed in the credentials file)')
  .option(
    '--credentials <file>',
    'the credentials file',
    process.env.LEDGER_CREDENTIALS ?? './data/credentials.json',
  );
const credentials = () => keys.opts<{ credentials: string }>().credentials;

keys
  .command('add')
  .description('create a key; it is printed once')
  .requiredOption('--name <name>', 'who holds it (becomes recordedBy)')
  .addOption(
    new Option('--role <role>', 'what it may do').choices(Role.options).makeOptionMandatory(),
  )
  .action((o: { name: string; role: Role }) => {
    const { key, entry } = addKey(credentials(), o.name, o.role);
    out(
      { ...entry, key },
      () => `${entry.role} key for ${entry.name} (id ${entry.id}), shown once:\n${key}`,
    );
  });

keys
  .command('list')
  .description('every key, without secrets')
  .action(() => {
    const entries = readCredentials(credentials()).map(({ sha256: _, ...k }) => k);
    out(entries, () => table(entries));
  });

keys
  .command('revoke <id>')
  .description('revoke a key; the server stops accepting it at once')
  .action((id: string) => {
    const entry = revokeKey(credentials(), id);
    out(entry, () => `revoked key ${entry.id} (${entry.name}) at ${entry.revokedAt}`);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version are not failures; commander already printed its one-line message.
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else {
    process.stderr.write(`ledger: ${(error as Error).message}\n`);
    process.exitCode = error instanceof CliError ? error.exitCode : EXIT.failure;
  }
}
