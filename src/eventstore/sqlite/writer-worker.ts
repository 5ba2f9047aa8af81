/**
 * The writer thread's entry: it owns the ledger's write connection (synchronous=FULL, so a
 * commit it reports is on disk) and commits the batches the store sends, one at a time, in the
 * order sent. Its fsyncs block only this thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from './driver.ts';
import { sqliteWriter } from './writer.ts';
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
const writer = sqliteWriter(db, { merkle: settings.merkle });

port.on('message', (message: ToWriter) => {
  if (message.type === 'close') {
    db.close();
    port.close();
    return;
  }
  let reply: FromWriter;
  try {
    reply = { type: 'committed', outcomes: writer.commitBatch(message.batch).map(toWireOutcome) };
  } catch (error) {
    reply = { type: 'failed', error: toWireError(error) };
  }
  port.postMessage(reply);
});
