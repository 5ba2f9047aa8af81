/**
 * The store's side of its writer thread (writer-worker.ts): sends batches, hands back each
 * batch's outcomes in order. The thread starts with the first commit (opens that only read pay
 * nothing) and holds the process open only while a commit is in flight.
 */
import { Worker } from 'node:worker_threads';
import type { Outcome, QueuedAppend } from '../append-plan.ts';
import {
  type FromWriter,
  fromWireError,
  fromWireOutcome,
  type ToWriter,
  toWireAppend,
  type WriterSettings,
} from './writer-protocol.ts';

export interface WriterThread {
  /** Commits a batch in the writer thread; rejects when its transaction failed. */
  commit(batch: readonly QueuedAppend[]): Promise<Outcome[]>;
  /** Closes the write connection and ends the thread, once the commits sent have replied. */
  close(): Promise<void>;
}

interface Waiting {
  resolve: (outcomes: Outcome[]) => void;
  reject: (error: unknown) => void;
}

export function writerThread(settings: WriterSettings): WriterThread {
  let worker: Worker | undefined;
  /** Commits sent, oldest first: the thread answers in the order it was sent them. */
  const waiting: Waiting[] = [];

  function start(): Worker {
    const started = spawnWriter(settings);
    started.on('message', (message: FromWriter) => {
      const next = waiting.shift();
      if (waiting.length === 0) started.unref();
      if (message.type === 'committed') next?.resolve(message.outcomes.map(fromWireOutcome));
      else next?.reject(fromWireError(message.error));
    });
    // The thread died (it could not open the file, or crashed): what it had not answered failed,
    // and the next commit starts a new one.
    const fail = (error: unknown) => {
      if (worker === started) worker = undefined;
      for (const each of waiting.splice(0)) each.reject(error);
    };
    started.on('error', fail);
    started.on('exit', (code) => fail(new Error(`the SQLite writer thread exited (code ${code})`)));
    return started;
  }

  const send = (message: ToWriter) => {
    worker ??= start();
    worker.postMessage(message);
    return worker;
  };

  return {
    commit: (batch) =>
      new Promise((resolve, reject) => {
        send({ type: 'commit', batch: batch.map(toWireAppend) }).ref();
        waiting.push({ resolve, reject });
      }),
    close: async () => {
      const closing = worker;
      if (closing === undefined) return;
      worker = undefined;
      const exited = new Promise((resolve) => closing.once('exit', resolve));
      closing.postMessage({ type: 'close' } satisfies ToWriter);
      closing.ref();
      await exited;
    },
  };
}

/**
 * The writer's young generation, capped: a batch's objects die with its transaction, and V8's
 * default lets a thread's young generation grow to 48 MB on Node 20 (192 MB on Node 24 with
 * 24 GB of memory), most of it committed for nothing (issue 28, item 9).
 */
export const WRITER_YOUNG_GENERATION_MB = 8;

/**
 * The thread runs the module beside this one with this one's extension: .js in the build;
 * .ts under vitest or tsx, where the thread loads TypeScript through tsx (a dev dependency).
 */
function spawnWriter(settings: WriterSettings): Worker {
  const typescript = import.meta.url.endsWith('.ts');
  const entry = new URL(`./writer-worker.${typescript ? 'ts' : 'js'}`, import.meta.url);
  const resourceLimits = { maxYoungGenerationSizeMb: WRITER_YOUNG_GENERATION_MB };
  if (!typescript) return new Worker(entry, { workerData: settings, resourceLimits });
  // Node 20 applies no --import hooks to a worker's entry; tsx's API loads it instead.
  const tsx = import.meta.resolve('tsx/esm/api');
  const load = `import(${JSON.stringify(tsx)}).then(({ tsImport }) => tsImport(${JSON.stringify(entry.href)}, ${JSON.stringify(entry.href)}))`;
  return new Worker(load, { eval: true, workerData: settings, resourceLimits });
}
