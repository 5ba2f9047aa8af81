import { useState } from 'preact/hooks';
import { answer, api, type Schemas } from '../api';
import { TableRegion } from '../components';
import { readableInstant } from '../dates';
import { RetractionForm } from '../forms/retraction-form';
import { useAnswer } from '../use-answer';

type Entry = Schemas['AuditEntry'];
const PAGE = 200;

export const entryAnchor = (eventId: string) => `event-${eventId}`;

/** Brings an event of the trail into view and opens its content. */
export function showEntry(eventId: string): void {
  const row = document.getElementById(entryAnchor(eventId));
  if (!row) return;
  row.scrollIntoView({ block: 'center' });
  const details = row.querySelector('details');
  if (details) details.open = true;
  row.querySelector<HTMLElement>('summary')?.focus();
}

/** The event in words (projections/event-words.ts, as the report says it); JSON on demand. */
function EventContent({ eventId, words }: { eventId: string; words: string }) {
  const event = useAnswer(
    () => answer(api.GET('/v1/events/{eventId}', { params: { path: { eventId } } })),
    [eventId],
  );
  if (event.state === 'loading') return <p>Loading…</p>;
  if (event.state === 'failed') return <p class="error">{event.error.message}</p>;
  const { data, metadata } = event.data;
  return (
    <div class="event-content">
      <p class="event-words">{words}</p>
      <details>
        <summary>As recorded (JSON)</summary>
        <pre>{JSON.stringify(data, null, 2)}</pre>
      </details>
      <p class="muted">
        correlation {metadata.correlationId}
        {metadata.idempotencyKey ? `, Idempotency-Key ${metadata.idempotencyKey}` : ''}, hash{' '}
        {metadata.hash.slice(0, 16)}…
      </p>
    </div>
  );
}

function Row({
  entry,
  onJump,
  selected,
  onSelect,
  onRetracted,
}: {
  entry: Entry;
  onJump: (eventId: string) => void;
  selected: boolean;
  onSelect: (selected: boolean) => void;
  /** Given to recorders only: who may not record sees no retract button. */
  onRetracted: (() => void) | null;
}) {
  const [open, setOpen] = useState(false);
  const [retracting, setRetracting] = useState(false);
  const mayRetract = onRetracted !== null && !entry.retractedBy && !entry.retracts;
  return (
    <>
      <tr id={entryAnchor(entry.eventId)} class={entry.retractedBy ? 'retracted' : undefined}>
        <td>
          <input
            type="checkbox"
            checked={selected}
            aria-label={`select event ${entry.position} to sign`}
            onChange={(event) => onSelect((event.currentTarget as HTMLInputElement).checked)}
          />
        </td>
        <td>{entry.position}</td>
        <td>{readableInstant(entry.recordedAt)}</td>
        <td>
          {entry.person ? `${entry.person} (key ${entry.recordedBy})` : `key ${entry.recordedBy}`}
        </td>
        <td>
          <details onToggle={(event) => setOpen((event.currentTarget as HTMLDetailsElement).open)}>
            <summary>
              {entry.type}
              {entry.validDate ? ` (valid ${entry.validDate})` : ''}
            </summary>
            {open && <EventContent eventId={entry.eventId} words={entry.content} />}
          </details>
          {entry.signatures.map((signature) => (
            <p key={signature.signatureId} class="signature">
              {signature.statement}
              {entry.retractedBy ? ' (the event was retracted after it was signed)' : ''}
            </p>
          ))}
          {entry.change && <p class="change">{entry.change}</p>}
        </td>
        <td>{entry.documentRef ?? <span class="muted">—</span>}</td>
        <td>
          {entry.retracts && (
            <button type="button" class="link" onClick={() => onJump(entry.retracts as string)}>
              retracts an event
            </button>
          )}
          {entry.retractedBy && (
            <button type="button" class="link" onClick={() => onJump(entry.retractedBy as string)}>
              retracted later
            </button>
          )}
          {entry.correctedBy && (
            <button type="button" class="link" onClick={() => onJump(entry.correctedBy as string)}>
              corrected by a later event
            </button>
          )}
          {entry.corrects && (
            <button type="button" class="link" onClick={() => onJump(entry.corrects as string)}>
              corrects an event
            </button>
          )}
          {mayRetract && (
            <button
              type="button"
              aria-expanded={retracting}
              onClick={() => setRetracting(!retracting)}
            >
              Retract event {entry.position}…
            </button>
          )}
        </td>
      </tr>
      {mayRetract && retracting && (
        // A row of its own: in the narrow last cell the form would be a column of single words.
        <tr class="retracting">
          <td colSpan={7}>
            <RetractionForm
              eventId={entry.eventId}
              position={entry.position}
              onRecorded={onRetracted}
            />
          </td>
        </tr>
      )}
    </>
  );
}

/**
 * Every event that affects the program in record order: who, when, what (its content on demand)
 * and why (the letter or reason), shown a page at a time so 5,000 events stay responsive.
 */
export function AuditTrail({
  entries,
  shown,
  onShowMore,
  onJump,
  onSigned,
  onRetracted,
}: {
  entries: readonly Entry[];
  shown: number;
  onShowMore: () => void;
  onJump: (eventId: string) => void;
  onSigned: () => void;
  onRetracted: (() => void) | null;
}) {
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const select = (eventId: string, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(eventId);
    else next.delete(eventId);
    setSelected(next);
  };
  return (
    <>
      {selected.size > 0 && (
        <SignSelected
          eventIds={[...selected]}
          onSigned={() => {
            setSelected(new Set());
            onSigned();
          }}
        />
      )}
      <TableRegion label="Audit trail">
        <table>
          <thead>
            <tr>
              <th scope="col">Sign</th>
              <th scope="col">Position</th>
              <th scope="col">Recorded</th>
              <th scope="col">By</th>
              <th scope="col">Event (open for its content)</th>
              <th scope="col">Document</th>
              <th scope="col">Retraction</th>
            </tr>
          </thead>
          <tbody>
            {entries.slice(0, shown).map((entry) => (
              <Row
                key={entry.eventId}
                entry={entry}
                onJump={onJump}
                selected={selected.has(entry.eventId)}
                onSelect={(on) => select(entry.eventId, on)}
                onRetracted={onRetracted}
              />
            ))}
          </tbody>
        </table>
      </TableRegion>
      {shown < entries.length && (
        <button type="button" onClick={onShowMore}>
          Show {Math.min(PAGE, entries.length - shown)} more of {entries.length - shown}
        </button>
      )}
    </>
  );
}

export const AUDIT_PAGE = PAGE;

type Meaning = Schemas['SignatureOnEvent']['meaning'];
const MEANINGS: readonly Meaning[] = ['review', 'approval', 'responsibility', 'authorship'];

/**
 * "Sign selected events" (docs/design.md "Signatures"): the meaning, an optional comment and
 * the signing passphrase, asked at each signing and never kept: it lives in this form's state
 * until the answer, then is cleared, and is sent only in the body of POST /v1/signatures.
 */
function SignSelected({ eventIds, onSigned }: { eventIds: string[]; onSigned: () => void }) {
  const [meaning, setMeaning] = useState<Meaning>('review');
  const [comment, setComment] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({
    busy: false,
    error: null,
  });
  const submit = async (event: Event) => {
    event.preventDefault();
    setState({ busy: true, error: null });
    const body = { eventIds, meaning, passphrase, ...(comment.trim() ? { comment } : {}) };
    setPassphrase('');
    try {
      await answer(api.POST('/v1/signatures', { body }));
      setComment('');
      setState({ busy: false, error: null });
      onSigned();
    } catch (error) {
      setState({ busy: false, error: (error as Error).message });
    }
  };
  return (
    <form class="panel sign-selected" aria-label="Sign selected events" onSubmit={submit}>
      <h3>
        Sign {eventIds.length} selected event{eventIds.length === 1 ? '' : 's'}
      </h3>
      <label for="sign-meaning">Meaning</label>
      <select
        id="sign-meaning"
        value={meaning}
        onChange={(e) => setMeaning((e.currentTarget as HTMLSelectElement).value as Meaning)}
      >
        {MEANINGS.map((m) => (
          <option key={m} value={m}>
            {m}
          </option>
        ))}
      </select>
      <label for="sign-comment">Comment (optional)</label>
      <input
        id="sign-comment"
        value={comment}
        onInput={(e) => setComment((e.currentTarget as HTMLInputElement).value)}
      />
      <label for="sign-passphrase">Your signing passphrase</label>
      <input
        id="sign-passphrase"
        type="password"
        autocomplete="off"
        required
        value={passphrase}
        onInput={(e) => setPassphrase((e.currentTarget as HTMLInputElement).value)}
      />
      <button type="submit" disabled={state.busy || passphrase === ''}>
        Sign
      </button>
      {state.error && (
        <p class="error" role="alert">
          {state.error}
        </p>
      )}
    </form>
  );
}
