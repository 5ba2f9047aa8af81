/** `compliance-ledger`: wires the commands, one per file in ./commands, and maps errors to exit codes. */
import { CommanderError } from 'commander';
import { CLI_NAME, createCli } from './cli.ts';
import { auditCommand } from './commands/audit.ts';
import { auditTrailCommand } from './commands/audit-trail.ts';
import { backdatingCommand } from './commands/backdating.ts';
import { backupCommand } from './commands/backup.ts';
import { checkCommand } from './commands/check.ts';
import { checkpointCommand } from './commands/checkpoint.ts';
import { deadlinesCommand } from './commands/deadlines.ts';
import { documentsCommand } from './commands/documents.ts';
import { exportCommand } from './commands/export.ts';
import { importCommand } from './commands/import.ts';
import { importCsvCommand } from './commands/import-csv.ts';
import { keysCommand } from './commands/keys.ts';
import { peopleCommand } from './commands/people.ts';
import { proofCommand } from './commands/proof.ts';
import { receiptCommand } from './commands/receipt.ts';
import { replayCommand } from './commands/replay.ts';
import { reportCommand } from './commands/report.ts';
import { seedExampleCommand } from './commands/seed-example.ts';
import { statusCommand } from './commands/status.ts';
import { subscriptionsCommand } from './commands/subscriptions.ts';
import { timelineCommand } from './commands/timeline.ts';
import { verifyCommand } from './commands/verify.ts';
import { violationsCommand } from './commands/violations.ts';
import { witnessCommand } from './commands/witness.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { cliConfig } from './store-option.ts';

try {
  const cli = createCli(cliConfig());
  statusCommand(cli);
  checkCommand(cli);
  auditTrailCommand(cli);
  timelineCommand(cli);
  replayCommand(cli);
  verifyCommand(cli);
  checkpointCommand(cli);
  proofCommand(cli);
  auditCommand(cli);
  witnessCommand(cli);
  receiptCommand(cli);
  documentsCommand(cli);
  reportCommand(cli);
  exportCommand(cli);
  backupCommand(cli);
  importCommand(cli);
  importCsvCommand(cli);
  deadlinesCommand(cli);
  violationsCommand(cli);
  backdatingCommand(cli);
  seedExampleCommand(cli);
  keysCommand(cli);
  subscriptionsCommand(cli);
  peopleCommand(cli);
  await cli.program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version are not failures; commander already printed its one-line message.
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else {
    process.stderr.write(`${CLI_NAME}: ${(error as Error).message}\n`);
    process.exitCode = error instanceof CliError ? error.exitCode : EXIT.failure;
  }
}
