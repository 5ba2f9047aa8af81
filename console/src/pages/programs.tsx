import { useState } from 'preact/hooks';
import { answer, api, type Schemas } from '../api';
import {
  Answered,
  CommittedInput,
  EmptyLedgerGuide,
  LastAuthorizedDay,
  StatusBadge,
  TableRegion,
} from '../components';
import { isCalendarDate, isoDateInput, todayUtc } from '../dates';
import { programHref } from '../route';
import { useAnswer } from '../use-answer';

const PAGE_SIZE = 50;
const STATUSES: Schemas['ProgramStatus']['status'][] = [
  'authorized',
  'suspended',
  'expired',
  'revoked',
  'ended',
  'not-authorized',
  'application-pending',
  'application-rejected',
];

/** Every program with its status on a day (today unless chosen), filtered and paged by the API. */
export function ProgramsPage() {
  const [at, setAt] = useState(todayUtc());
  const [status, setStatus] = useState('');
  const [supplierId, setSupplier] = useState('');
  const [specificationId, setSpecification] = useState('');
  const [idContains, setIdContains] = useState('');
  const [offset, setOffset] = useState(0);
  const filter = { at, status, supplierId, specificationId, idContains };
  const found = useAnswer(
    () =>
      answer(
        api.GET('/v1/programs', {
          params: {
            query: {
              ...(at ? { at } : {}),
              ...(status ? { status: status as Schemas['ProgramStatus']['status'] } : {}),
              ...(supplierId ? { supplierId } : {}),
              ...(specificationId ? { specificationId } : {}),
              ...(idContains ? { idContains } : {}),
              offset,
              limit: PAGE_SIZE,
            },
          },
        }),
      ),
    [at, status, supplierId, specificationId, idContains, offset],
  );
  const change = (set: (value: string) => void) => (event: Event) => {
    set((event.currentTarget as HTMLInputElement).value.trim());
    setOffset(0);
  };

  return (
    <section aria-labelledby="programs-title">
      <h1 id="programs-title">Programs</h1>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <div>
          <label for="filter-id">Search by id</label>
          <input
            id="filter-id"
            type="search"
            value={filter.idContains}
            onInput={change(setIdContains)}
          />
        </div>
        <div>
          <label for="filter-status">Status</label>
          <select id="filter-status" value={filter.status} onChange={change(setStatus)}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="filter-supplier">Supplier</label>
          <input id="filter-supplier" value={filter.supplierId} onChange={change(setSupplier)} />
        </div>
        <div>
          <label for="filter-specification">Specification</label>
          <input
            id="filter-specification"
            value={filter.specificationId}
            onChange={change(setSpecification)}
          />
        </div>
        <div>
          <label for="filter-at">Status on</label>
          <CommittedInput
            id="filter-at"
            {...isoDateInput}
            value={filter.at}
            isComplete={isCalendarDate}
            onCommit={(value) => {
              setAt(value);
              setOffset(0);
            }}
          />
        </div>
      </form>
      <Answered answer={found}>
        {({ programs, total }) =>
          total === 0 && !status && !supplierId && !specificationId && !idContains ? (
            <EmptyLedgerGuide />
          ) : (
            <>
              <p aria-live="polite">
                {total === 0
                  ? 'No program matches.'
                  : `Programs ${offset + 1}–${offset + programs.length} of ${total}, status on ${at}.`}
              </p>
              <TableRegion label="Programs">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Program</th>
                      <th scope="col">Status</th>
                      <th scope="col">Last authorized day</th>
                      <th scope="col">Pending conditions</th>
                      <th scope="col">Specification</th>
                      <th scope="col">Channel</th>
                      <th scope="col">Supplier</th>
                    </tr>
                  </thead>
                  <tbody>
                    {programs.map((p) => (
                      <tr key={p.programId}>
                        <th scope="row">
                          <a href={programHref(p.programId)}>{p.programId}</a>
                          {p.description && <small class="title">{p.description}</small>}
                        </th>
                        <td>
                          <StatusBadge status={p.status.status} />
                        </td>
                        <td>
                          <LastAuthorizedDay answer={p.status} />
                        </td>
                        <td>
                          {p.status.pendingConditions.length === 0 ? (
                            <span class="muted">none</span>
                          ) : (
                            <ul class="plain">
                              {p.status.pendingConditions.map((c) => (
                                <li key={c.eventId}>{c.description}</li>
                              ))}
                            </ul>
                          )}
                        </td>
                        <td>
                          {p.specificationId}
                          {p.specificationTitle && (
                            <small class="title">{p.specificationTitle}</small>
                          )}
                        </td>
                        <td>{p.channel}</td>
                        <td>{p.supplierId}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableRegion>
              <nav class="pager" aria-label="Pages of programs">
                <button
                  type="button"
                  disabled={offset === 0}
                  onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}
                >
                  Previous page
                </button>
                <button
                  type="button"
                  disabled={offset + PAGE_SIZE >= total}
                  onClick={() => setOffset(offset + PAGE_SIZE)}
                >
                  Next page
                </button>
              </nav>
            </>
          )
        }
      </Answered>
    </section>
  );
}
