import { CommittedInput } from './components';
import { isUtcInstant } from './dates';

/** A ledger position (digits) or a UTC instant: what `asKnownAt` takes; empty means now. */
const isKnownAt = (text: string) => text === '' || /^\d{1,15}$/.test(text) || isUtcInstant(text);

/**
 * "As the ledger knew it at …" for the whole-ledger lists (deadlines, violations, backdating):
 * what did the list say on a past day, before later letters and retractions arrived.
 */
export function KnownAtField({
  id,
  value,
  onChange,
}: {
  id: string;
  value: string;
  onChange: (knownAt: string) => void;
}) {
  return (
    <p class="known-at">
      <label for={id}>As known at (a ledger position or a UTC date-time; empty: now)</label>{' '}
      <CommittedInput
        id={id}
        value={value}
        isComplete={isKnownAt}
        onCommit={onChange}
        placeholder="e.g. 4 or 2007-10-01T00:00:00Z"
        maxLength={40}
      />
    </p>
  );
}
