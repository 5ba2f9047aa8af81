import { Option } from 'commander';
import { factsOfProgram, programFacts } from '../../../projections/program-facts.ts';
import { evaluate, type Status, todayUtc } from '../../domain/index.ts';
import { readLedger } from '../../integrity/verify-ledger.ts';
import { ledgerProjections, ledgerQueries } from '../../projections/ledger-queries.ts';
import { replayLedger } from '../../projections/replay.ts';
import * as args from '../arguments.ts';
import type { Cli } from '../cli.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { progress } from '../progress.ts';
import { openStore } from '../store-option.ts';

export function replayCommand(cli: Cli): void {
  const { program, globals, out } = cli;
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
        const bar = progress(
          'replay',
          toPosition === undefined ? head : Math.min(head, toPosition),
        );
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
}
