/**
 * The writer thread's entry: it owns the ledger's write connection (synchronous=FULL, so a
 * commit it reports is on disk) and commits the batches the store sends through the write path
 * (write-path.ts), one at a time, in the order sent. Its fsyncs block only this thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { commitBatch } from '../write-path.ts';
import Database from './driver.ts';
import { sqliteWriteDriver } from './write-driver.ts';
import {
  type FromWriter,
  type ToWriter,
  toWireError,
  toWireOutcome,
  type WriterSettings,
} from './writer-protocol.ts';

const port = parentPort;
if (port === null) throw new Error('writer-worker.ts runs as a worker thread');
const settings = workerData as WriterSettings;

const db = new Database(settings.path, { fileMustExist: true });
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma(`busy_timeout = ${Math.trunc(settings.busyTimeoutMs)}`);
const driver = sqliteWriteDriver(db, { merkle: settings.merkle });

/** Messages are handled strictly one after the other, in the order they came. */
let previous: Promise<void> = Promise.resolve();

port.on('message', (message: ToWriter) => {
  previous = previous.then(() => handle(message));
});

async function handle(message: ToWriter): Promise<void> {
  if (message.type === 'close') {
    db.close();
    port?.close();
    return;
  }
  let reply: FromWriter;
  try {
    const outcomes = await commitBatch(driver, message.batch);
    reply = { type: 'committed', outcomes: outcomes.map(toWireOutcome) };
  } catch (error) {
    reply = { type: 'failed', error: toWireError(error) };
  }
  port?.postMessage(reply);
}
