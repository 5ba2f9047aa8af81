/** The `compliance-ledger` command's exit codes (README "Auditor's CLI"). */
export const EXIT = {
  ok: 0,
  /** tampering found: verify, audit, a receipt or a document does not match the ledger. */
  integrity: 1,
  /** bad arguments. */
  usage: 2,
  /** the program or event asked about is not in the ledger. */
  notFound: 3,
  /** the command was refused: import or seed-example into a non-empty store, a broken import file, a key name already taken. */
  refused: 4,
  /** the store could not be opened or read, the server not reached, or another failure. */
  failure: 5,
  /** the server refused the API key (401 or 403), or no API key was given. */
  credentials: 6,
  /** a file the auditor trusts (checkpoint, public key, receipt, API key file) cannot be read or parsed. */
  trustedFile: 7,
  /** `check`: the planned shipment would be blocked (outside an authorization, or over a limit). */
  blocked: 8,
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
