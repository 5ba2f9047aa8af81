import { useEffect, useState } from 'preact/hooks';
import { allPages, type PageQuery } from '../all-pages';
import { answer, api, type Role, type Schemas } from '../api';
import { Answered, LastAuthorizedDay, StatusBadge } from '../components';
import { todayUtc } from '../dates';
import { download } from '../download';
import { EndProgramForm } from '../forms/end-program-form';
import { type Route, replaceParams } from '../route';
import { useAnswer } from '../use-answer';
import { AUDIT_PAGE, AuditTrail, showEntry } from './audit-trail';
import { mayRecord } from './record';
import { type KnownAt, TimeTravel } from './time-travel';
import { type Mark, TimelineChart } from './timeline-chart';

type Entry = Schemas['AuditEntry'];

/** Letters, TDP releases and ends on the valid-time axis, from the trail (retracted ones left out). */
function marksOf(entries: readonly Entry[]): Mark[] {
  const kinds: Record<string, Mark['kind']> = {
    NoticeReceived: 'letter',
    TechnicalDataPackageReleased: 'tdp',
    ProgramEnded: 'end',
  };
  return entries.flatMap((e) => {
    const kind = kinds[e.type];
    return kind && e.validDate && !e.retractedBy
      ? [{ kind, date: e.validDate, label: `${e.type}: ${e.documentRef ?? e.eventId}` }]
      : [];
  });
}

function StatusPanel({
  status,
  onJump,
}: {
  status: Schemas['ProgramStatus'];
  onJump: (eventId: string) => void;
}) {
  return (
    <section class="panel" aria-labelledby="status-title">
      <h2 id="status-title">
        Status on {status.at}: <StatusBadge status={status.status} />
      </h2>
      <p>
        <LastAuthorizedDay answer={status} />
        {status.authorizedFrom ? `; authorized from ${status.authorizedFrom}` : ''}
      </p>
      <p class="explanation">{status.explanation}</p>
      <p class="muted">rule {status.rule}</p>
      {status.pendingConditions.length > 0 && (
        <>
          <h3>Pending conditions</h3>
          <ul>
            {status.pendingConditions.map((c) => (
              <li key={c.eventId}>{c.description}</li>
            ))}
          </ul>
        </>
      )}
      <h3>Basis</h3>
      <ul>
        {status.basis.map((b) => (
          <li key={b.eventId}>
            <button type="button" class="link" onClick={() => onJump(b.eventId)}>
              #{b.position} {b.type}
            </button>{' '}
            <span class="muted">({b.roles.join(', ')})</span>
            {b.signatures?.map((signature) => (
              <p key={signature.signatureId} class="signature">
                {signature.statement}
              </p>
            ))}
          </li>
        ))}
      </ul>
    </section>
  );
}

/**
 * The printable HTML audit report of the program as the page shows it (same date, same "as
 * known at"), saved as a file: the report route needs the key in a header, so no plain link.
 */
async function downloadAuditReport(programId: string, at: string, knownAt: KnownAt) {
  const { data } = await api.GET('/v1/programs/{id}/audit-report', {
    params: {
      path: { id: programId },
      query: { format: 'html', at, ...(knownAt ? { asKnownAt: knownAt } : {}) },
    },
    parseAs: 'text',
  });
  if (typeof data === 'string') download(`${programId}-audit-report.html`, data, 'text/html');
}

/**
 * One program: its status with explanation and basis, the timeline, the audit trail, and time
 * travel. Every panel asks the API with the same valid date and "as known at".
 */
export function ProgramPage({ route, role }: { route: Route; role: Role }) {
  const programId = route.arg ?? '';
  const at = route.params.get('at') ?? todayUtc();
  const knownAt: KnownAt = route.params.get('known');
  const asKnownAt = knownAt ? { asKnownAt: knownAt } : {};
  const [shown, setShown] = useState(AUDIT_PAGE);
  const [jumpTo, setJumpTo] = useState<string | null>(null);
  /** Counts signatures, retractions and ends recorded here: each reads the answers again. */
  const [changes, setChanges] = useState(0);
  const changed = () => setChanges((n) => n + 1);

  const status = useAnswer(
    () =>
      answer(
        api.GET('/v1/programs/{id}/status', {
          params: { path: { id: programId }, query: { at, ...asKnownAt } },
        }),
      ),
    [programId, at, knownAt, changes],
  );
  const timeline = useAnswer(
    () =>
      answer(
        api.GET('/v1/programs/{id}/timeline', {
          params: { path: { id: programId }, query: asKnownAt },
        }),
      ),
    [programId, knownAt, changes],
  );
  const trail = useAnswer(
    () =>
      allPages(
        (page: PageQuery) =>
          answer(
            api.GET('/v1/programs/{id}/audit-trail', {
              params: { path: { id: programId }, query: { ...asKnownAt, ...page } },
            }),
          ),
        'entries',
      ),
    [programId, knownAt, changes],
  );
  const head = useAnswer(
    async () => (await answer(api.GET('/readyz'))).headPosition ?? 1,
    [programId, changes],
  );
  const summary = useAnswer(
    async () =>
      (
        await answer(
          api.GET('/v1/programs', { params: { query: { idContains: programId, limit: 1000 } } }),
        )
      ).programs.find((p) => p.programId === programId) ?? null,
    [programId],
  );

  const entries = trail.state === 'ready' ? trail.data.entries : [];
  const jump = (eventId: string) => {
    const index = entries.findIndex((e) => e.eventId === eventId);
    if (index >= shown) setShown(index + 1);
    setJumpTo(eventId);
  };
  useEffect(() => {
    if (jumpTo) showEntry(jumpTo);
    setJumpTo(null);
  }, [jumpTo]);

  return (
    <section aria-labelledby="program-title">
      <h1 id="program-title">{programId}</h1>
      {summary.state === 'ready' && summary.data && (
        <p class="muted">
          {summary.data.supplierId} · {summary.data.specificationId}
          {summary.data.specificationTitle ? ` "${summary.data.specificationTitle}"` : ''} ·{' '}
          {summary.data.channel} · {summary.data.regulator}
          {summary.data.description ? ` · ${summary.data.description}` : ''}
        </p>
      )}
      <TimeTravel
        at={at}
        knownAt={knownAt}
        head={head.state === 'ready' ? head.data : null}
        marks={entries.map((e) => e.position)}
        onChange={(next) => replaceParams(route, { at: next.at, known: next.knownAt })}
      />
      <p>
        <button type="button" onClick={() => void downloadAuditReport(programId, at, knownAt)}>
          Download the audit report (HTML, to print or file)
        </button>
      </p>
      <p class="as-of" aria-live="polite">
        Answers for {at}, as known{' '}
        {knownAt === null
          ? 'now'
          : /^\d+$/.test(knownAt)
            ? `at ledger position ${knownAt}`
            : `at ${knownAt}`}
        .
      </p>
      <div class="program-grid">
        <Answered answer={status}>{(s) => <StatusPanel status={s} onJump={jump} />}</Answered>
        <section class="panel" aria-labelledby="timeline-title">
          <h2 id="timeline-title">Timeline</h2>
          <Answered answer={timeline}>
            {({ intervals }) => (
              <TimelineChart intervals={intervals} marks={marksOf(entries)} at={at} />
            )}
          </Answered>
        </section>
      </div>
      <section aria-labelledby="trail-title">
        <h2 id="trail-title">Audit trail</h2>
        <Answered answer={trail}>
          {(t) => (
            <AuditTrail
              entries={t.entries}
              shown={shown}
              onShowMore={() => setShown(shown + AUDIT_PAGE)}
              onJump={jump}
              onSigned={changed}
              onRetracted={mayRecord(role) ? changed : null}
            />
          )}
        </Answered>
      </section>
      {mayRecord(role) && (
        <details class="panel end-program">
          <summary>End this program…</summary>
          <EndProgramForm programId={programId} onRecorded={changed} />
        </details>
      )}
    </section>
  );
}
