/** Why a command is refused. Each code is stable: the API maps it to a problem `type`. */
export type DomainErrorCode =
  | 'already-registered'
  | 'not-registered'
  | 'tdp-already-released'
  | 'notice-id-conflict'
  | 'application-id-conflict'
  | 'shipment-id-conflict'
  | 'unknown-application'
  | 'application-already-decided'
  | 'decision-before-submission'
  | 'unknown-superseded-notice'
  | 'unknown-specification'
  | 'contradictory-terms'
  | 'date-in-the-future'
  | 'program-ended'
  | 'unknown-event'
  | 'already-retracted'
  | 'not-retractable'
  | 'not-signable'
  | 'not-a-correction'
  | 'not-retracted'
  | 'already-corrected';

const NOT_FOUND_CODES: ReadonlySet<string> = new Set(['not-registered', 'unknown-event']);

/** A refusal: returned (not thrown) by `decide`, so callers must handle it. */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
  }

  /** The API's answer: 422 with the code, 404 where the code says something does not exist. */
  get problemStatus(): number {
    return NOT_FOUND_CODES.has(this.code) ? 404 : 422;
  }
  get problemType(): string {
    return `refused/${this.code}`;
  }
  readonly problemTitle = 'Command refused';
  get problemExtra(): { code: string } {
    return { code: this.code };
  }
}

export const refuse = (code: DomainErrorCode, message: string) => new DomainError(code, message);
