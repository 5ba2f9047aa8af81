import { programHref } from '../route';
import type { Outcome } from './submission';

/** What became of the last submission, announced to screen readers. */
export function OutcomeNote({ outcome, programId }: { outcome: Outcome; programId?: string }) {
  if (outcome.state === 'idle') return null;
  if (outcome.state === 'sending') return <p aria-live="polite">Recording…</p>;
  if (outcome.state === 'failed')
    return (
      <p role="alert" class="error">
        Not recorded: {outcome.message}
      </p>
    );
  const { accepted } = outcome;
  const violation = accepted.violation;
  return violation ? (
    <p role="alert" class="error">
      Recorded at position {accepted.position}, and it is a violation: {violation.explanation}{' '}
      {programId && <a href={programHref(programId)}>Open the program</a>}
    </p>
  ) : (
    <p role="status" class="ok-note">
      {accepted.alreadyRecorded
        ? 'Already on record: nothing was written twice.'
        : `Recorded at position ${accepted.position} in ${accepted.stream}.`}{' '}
      {programId && <a href={programHref(programId)}>Open the program</a>}
    </p>
  );
}
