import { useEffect, useState } from 'preact/hooks';
import { CommittedInput } from '../components';
import { isCalendarDate, isoDateInput, isUtcInstant } from '../dates';

/** `asKnownAt` as the API takes it: a ledger position (digits) or an instant with its offset. */
export type KnownAt = string | null;

/**
 * The two times of every question: the valid date asked about, and the moment of the ledger's
 * knowledge (now, a position picked with a slider over the ledger's history, or a date-time).
 */
export function TimeTravel({
  at,
  knownAt,
  head,
  marks,
  onChange,
}: {
  at: string;
  knownAt: KnownAt;
  /** The ledger's latest position, null until the server said it. */
  head: number | null;
  marks: readonly number[];
  onChange: (next: { at: string; knownAt: KnownAt }) => void;
}) {
  const mode = knownAt === null ? 'now' : /^\d+$/.test(knownAt) ? 'position' : 'instant';
  const [position, setPosition] = useState(mode === 'position' ? Number(knownAt) : (head ?? 1));
  useEffect(() => {
    if (mode === 'position') setPosition(Number(knownAt));
  }, [knownAt, mode]);
  const setMode = (next: string) =>
    onChange({
      at,
      knownAt:
        next === 'now'
          ? null
          : next === 'position'
            ? // Travel starts from what is known now, the latest position, and goes back.
              String(head)
            : `${new Date().toISOString().slice(0, 19)}Z`,
    });
  return (
    <form class="time-travel" onSubmit={(event) => event.preventDefault()}>
      <div class="labelled">
        <label for="valid-date">Valid date (status on)</label>
        <CommittedInput
          id="valid-date"
          {...isoDateInput}
          value={at}
          isComplete={isCalendarDate}
          onCommit={(value) => onChange({ at: value, knownAt })}
        />
      </div>
      <fieldset class="choice">
        <legend>As known at</legend>
        {(
          [
            ['now', 'now'],
            ['position', 'ledger position'],
            ['instant', 'date-time (UTC)'],
          ] as const
        ).map(([value, label]) => (
          <label key={value}>
            <input
              type="radio"
              name="known-mode"
              value={value}
              checked={mode === value}
              disabled={value === 'position' && head === null}
              onChange={() => setMode(value)}
            />
            {label}
          </label>
        ))}
      </fieldset>
      {mode === 'position' && (
        <div class="slider">
          <label>
            Ledger position (1–{head ?? position})
            <input
              type="range"
              min={1}
              max={Math.max(head ?? position, 1)}
              step={1}
              value={position}
              list="program-positions"
              onInput={(event) =>
                setPosition(Number((event.currentTarget as HTMLInputElement).value))
              }
              onChange={(event) =>
                onChange({ at, knownAt: (event.currentTarget as HTMLInputElement).value })
              }
            />
          </label>
          <datalist id="program-positions">
            {marks.map((mark) => (
              <option key={mark} value={mark} />
            ))}
          </datalist>
          <label>
            Exact position
            <input
              type="number"
              min={1}
              max={head ?? position}
              value={position}
              onChange={(event) => {
                const value = (event.currentTarget as HTMLInputElement).value;
                if (/^\d+$/.test(value)) onChange({ at, knownAt: value });
              }}
            />
          </label>
        </div>
      )}
      {mode === 'instant' && knownAt && (
        <div class="labelled">
          <label for="known-instant">Moment (UTC, YYYY-MM-DDTHH:MM:SSZ)</label>
          <CommittedInput
            id="known-instant"
            placeholder="YYYY-MM-DDTHH:MM:SSZ"
            value={knownAt}
            isComplete={isUtcInstant}
            onCommit={(value) => onChange({ at, knownAt: value })}
          />
        </div>
      )}
    </form>
  );
}
