import { useState } from 'preact/hooks';
import { answer, api, type Schemas } from '../api';
import { TableRegion } from '../components';
import { readableInstant } from '../dates';
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

function EventContent({ eventId }: { eventId: string }) {
  const event = useAnswer(
    () => answer(api.GET('/v1/events/{eventId}', { params: { path: { eventId } } })),
    [eventId],
  );
  if (event.state === 'loading') return <p>Loading…</p>;
  if (event.state === 'failed') return <p class="error">{event.error.message}</p>;
  const { data, metadata } = event.data;
  return (
    <div class="event-content">
      <pre>{JSON.stringify(data, null, 2)}</pre>
      <p class="muted">
        correlation {metadata.correlationId}
        {metadata.idempotencyKey ? `, Idempotency-Key ${metadata.idempotencyKey}` : ''}, hash{' '}
        {metadata.hash.slice(0, 16)}…
      </p>
    </div>
  );
}

function Row({ entry, onJump }: { entry: Entry; onJump: (eventId: string) => void }) {
  const [open, setOpen] = useState(false);
  return (
    <tr id={entryAnchor(entry.eventId)} class={entry.retractedBy ? 'retracted' : undefined}>
      <td>{entry.position}</td>
      <td>{readableInstant(entry.recordedAt)}</td>
      <td>{entry.recordedBy}</td>
      <td>
        <details onToggle={(event) => setOpen((event.currentTarget as HTMLDetailsElement).open)}>
          <summary>
            {entry.type}
            {entry.validDate ? ` (valid ${entry.validDate})` : ''}
          </summary>
          {open && <EventContent eventId={entry.eventId} />}
        </details>
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
      </td>
    </tr>
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
}: {
  entries: readonly Entry[];
  shown: number;
  onShowMore: () => void;
  onJump: (eventId: string) => void;
}) {
  return (
    <>
      <TableRegion label="Audit trail">
        <table>
          <thead>
            <tr>
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
              <Row key={entry.eventId} entry={entry} onJump={onJump} />
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
