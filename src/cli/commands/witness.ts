import { buildWitnessApp } from '../../api/witness-app.ts';
import { loadOrCreateSigningKey } from '../../integrity/checkpoint.ts';
import { witnessVerifierKey } from '../../integrity/cosignature.ts';
import { ledgerWitness } from '../../integrity/witness.ts';
import type { Cli } from '../cli.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { readText } from '../options.ts';

/**
 * `ledger witness`: the ledger as a witness of other ledgers (docs/design.md, "Witnesses"),
 * serving tlog-witness add-checkpoint until stopped.
 */
export function witnessCommand(cli: Cli): void {
  cli.program
    .command('witness')
    .description(
      'witness other ledgers: cosign each checkpoint that extends the last one cosigned for its log (C2SP tlog-witness), until stopped',
    )
    .requiredOption('--name <name>', 'the witness name, e.g. inspector.example/witness')
    .requiredOption(
      '--log <file...>',
      "a witnessed log's verifier key file (its .vkey; its name is the log's origin)",
    )
    .option(
      '--key-dir <dir>',
      "the witness's Ed25519 key folder, created on first use",
      './data/witness-key',
    )
    .option(
      '--state <dir>',
      'the folder keeping the last checkpoint cosigned per log',
      './data/witness',
    )
    .option('--host <host>', 'the address to listen on', '127.0.0.1')
    .option('--port <port>', 'the port to listen on', '3100')
    .action(
      async (o: {
        name: string;
        log: string[];
        keyDir: string;
        state: string;
        host: string;
        port: string;
      }) => {
        const logs = o.log.map((file) => readText(file, '--log').trim());
        for (const vkey of logs)
          if (!/^[^+\s]+\+[0-9a-f]{8}\+\S+$/.test(vkey))
            throw new CliError(EXIT.usage, `--log: ${vkey} is not a verifier key`);
        let key: ReturnType<typeof loadOrCreateSigningKey>;
        try {
          key = loadOrCreateSigningKey(o.keyDir, o.name);
        } catch (error) {
          throw new CliError(EXIT.failure, `--key-dir: ${(error as Error).message}`);
        }
        const port = Number(o.port);
        if (!Number.isInteger(port) || port < 0 || port > 65_535)
          throw new CliError(EXIT.usage, `--port: ${o.port} is not a port`);
        const app = buildWitnessApp(ledgerWitness({ key, logs, stateDir: o.state }));
        const address = await app.listen({ host: o.host, port });
        const vkey = witnessVerifierKey(key);
        process.stderr.write(
          `witness ${o.name} listening on ${address}\nits verifier key: ${vkey}\n`,
        );
        await new Promise<void>((resolve) => {
          for (const signal of ['SIGINT', 'SIGTERM'] as const)
            process.once(signal, () => resolve());
        });
        await app.close();
      },
    );
}
