/** The `ledger` command's exit codes (README "Auditor's CLI"). */
export const EXIT = {
  ok: 0,
  /** verify or audit found a bad event. */
  integrity: 1,
  /** bad arguments. */
  usage: 2,
  /** the program or event asked about is not in the ledger. */
  notFound: 3,
  /** the command was refused: import into a non-empty store, a broken import file. */
  refused: 4,
  /** the store could not be opened or read, or another failure. */
  failure: 5,
} as const;

/** An error that knows its exit code; its message is the one line the user sees. */
export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}
