import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Schemas } from './api';
import { lastAuthorizedDay } from './dates';
import type { Answer } from './use-answer';

type Status = Schemas['ProgramStatus']['status'];

/** A status as a coloured badge that also says it in words (colour is never the only cue). */
export function StatusBadge({ status }: { status: Status }) {
  return <span class={`badge badge-${status}`}>{status}</span>;
}

/** "last authorized day 2007-09-07", or what an open end means. */
export function LastAuthorizedDay({
  answer,
}: {
  answer: { until?: string | null; lastAuthorizedDay?: string | null; status: Status };
}) {
  const day = lastAuthorizedDay(answer);
  if (day) return <span>last authorized day {day}</span>;
  return <span class="muted">{answer.status === 'authorized' ? 'no end set' : '—'}</span>;
}

/** Wide tables scroll inside a focusable region on narrow screens, reachable by keyboard. */
export function TableRegion({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be focusable to scroll by keyboard
    <section class="table-region" aria-label={label} tabIndex={0}>
      {children}
    </section>
  );
}

/** Shows a pending or failed answer, or the page's content once it is ready. */
export function Answered<T>({
  answer,
  children,
}: {
  answer: Answer<T>;
  children: (data: T) => ComponentChildren;
}) {
  if (answer.state === 'loading') return <p aria-live="polite">Loading…</p>;
  if (answer.state === 'failed')
    return (
      <p role="alert" class="error">
        {answer.error.message}
      </p>
    );
  return <>{children(answer.data)}</>;
}

/**
 * A text input that hands on a value only once it is complete and valid (a full ISO date, a
 * full instant), so a half-typed date never becomes a question to the API.
 */
export function CommittedInput({
  value,
  isComplete,
  onCommit,
  id,
  placeholder,
  pattern,
  maxLength,
  inputMode,
}: {
  value: string;
  isComplete: (text: string) => boolean;
  onCommit: (text: string) => void;
  id?: string;
  type?: 'text';
  autoComplete?: 'off';
  placeholder?: string;
  pattern?: string;
  maxLength?: number;
  inputMode?: 'numeric' | 'text';
}) {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  return (
    <input
      id={id}
      type="text"
      autoComplete="off"
      spellcheck={false}
      placeholder={placeholder}
      pattern={pattern}
      maxLength={maxLength}
      inputMode={inputMode}
      value={draft}
      onInput={(event) => {
        const text = (event.currentTarget as HTMLInputElement).value.trim();
        setDraft(text);
        if (isComplete(text) && text !== value) onCommit(text);
      }}
    />
  );
}

/**
 * A new ledger's first screen: what to record first, in the order the domain requires it (a
 * program names a registered specification; notices and shipments name a program).
 */
export function EmptyLedgerGuide() {
  return (
    <section class="panel empty-guide" aria-labelledby="empty-guide-title">
      <h2 id="empty-guide-title">This ledger has no program yet</h2>
      <ol>
        <li>
          Register the specification a program supplies (<code>POST /v1/specifications</code>, an
          admin or recorder key).
        </li>
        <li>
          Register the supply program under it (<code>POST /v1/programs</code>).
        </li>
        <li>
          Then record what happens to it on the <a href="#/record">Record</a> page: the regulator's
          notices, TDP releases and shipments.
        </li>
      </ol>
      <p>
        To look around first, load the founding case (American Locker's 1118E program) into an empty
        ledger on the server's machine:
      </p>
      <pre class="commands">npx compliance-ledger seed-example</pre>
    </section>
  );
}
