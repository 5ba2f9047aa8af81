import { useState } from 'preact/hooks';
import { allPages, type PageQuery } from '../all-pages';
import { answer, api, type Role, type Schemas } from '../api';
import { Answered, TableRegion } from '../components';
import { readableInstant } from '../dates';
import { useAnswer } from '../use-answer';

type AlertType = Schemas['Subscription']['types'][number];

const TYPES: [AlertType, string][] = [
  ['ledger.status.changed', 'a status changes (also at midnight, with no new letter)'],
  ['ledger.deadline.approaching', 'a deadline is 90, 30 or 7 days away'],
  ['ledger.violation.recorded', 'a shipment falls outside an authorization'],
  ['ledger.letter.recorded', 'a letter is recorded'],
  ['ledger.integrity.alarm', 'an integrity check fails'],
];

export const mayManageSubscriptions = (role: Role) => role === 'admin';

const when = (ms: number | null) =>
  ms === null ? '—' : readableInstant(new Date(ms).toISOString());

/** Alert subscriptions (admin): subscribe a receiver, see each one's delivery log, send again. */
export function SubscriptionsPage() {
  const [version, setVersion] = useState(0);
  const [selected, setSelected] = useState<string | null>(null);
  const [secret, setSecret] = useState<{ id: string; secret: string } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const refresh = () => setVersion((v) => v + 1);
  const subscriptions = useAnswer(
    () =>
      allPages(
        (page: PageQuery) => answer(api.GET('/v1/subscriptions', { params: { query: page } })),
        'items',
      ),
    [version],
  );

  const subscribe = async (event: SubmitEvent) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const types = form.getAll('types') as AlertType[];
    const programs = String(form.get('programIds') ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '');
    const description = String(form.get('description') ?? '').trim();
    try {
      const created = await answer(
        api.POST('/v1/subscriptions', {
          body: {
            url: String(form.get('url') ?? ''),
            types,
            ...(programs.length > 0 ? { programIds: programs } : {}),
            ...(description ? { description } : {}),
          },
        }),
      );
      setProblem(null);
      setSecret({ id: created.id, secret: created.secret });
      (event.currentTarget as HTMLFormElement | null)?.reset();
      refresh();
    } catch (error) {
      setProblem((error as Error).message);
    }
  };
  const remove = async (id: string) => {
    await answer(api.DELETE('/v1/subscriptions/{id}', { params: { path: { id } } })).catch(
      (error: Error) => setProblem(error.message),
    );
    if (selected === id) setSelected(null);
    refresh();
  };

  return (
    <section aria-labelledby="subscriptions-title">
      <h1 id="subscriptions-title">Subscriptions</h1>
      <form class="panel" onSubmit={subscribe} aria-labelledby="subscribe-title">
        <h2 id="subscribe-title">Subscribe a receiver</h2>
        <label for="sub-url">Receiver URL (https)</label>
        <input id="sub-url" name="url" type="url" required placeholder="https://…" />
        <fieldset>
          <legend>Tell it when</legend>
          {TYPES.map(([type, label]) => (
            <label key={type}>
              <input
                type="checkbox"
                name="types"
                value={type}
                defaultChecked={type === 'ledger.status.changed'}
              />
              {label} <span class="muted">({type})</span>
            </label>
          ))}
        </fieldset>
        <label for="sub-programs">Only these programs (comma-separated; empty: all)</label>
        <input id="sub-programs" name="programIds" type="text" />
        <label for="sub-description">Description</label>
        <input id="sub-description" name="description" type="text" maxLength={500} />
        <button type="submit">Subscribe</button>
        {problem && (
          <p role="alert" class="error">
            {problem}
          </p>
        )}
      </form>
      {secret && (
        <section class="panel" role="status" aria-labelledby="secret-title">
          <h2 id="secret-title">Signing secret of the new subscription</h2>
          <p>Give it to the receiver now: it is not shown again.</p>
          <p class="hash" data-testid="signing-secret">
            {secret.secret}
          </p>
        </section>
      )}
      <Answered answer={subscriptions}>
        {({ items }) =>
          items.length === 0 ? (
            <p>No receiver is subscribed.</p>
          ) : (
            <TableRegion label="Subscriptions">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Receiver</th>
                    <th scope="col">Told when</th>
                    <th scope="col">Programs</th>
                    <th scope="col">State</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((s) => (
                    <tr key={s.id}>
                      <th scope="row">
                        {s.url}
                        {s.description && <span class="muted"> ({s.description})</span>}
                      </th>
                      <td>{s.types.join(', ')}</td>
                      <td>{s.programIds?.join(', ') ?? 'all'}</td>
                      <td>
                        {s.disabledAt ? (
                          <span class="bad">stopped: {s.disabledReason}</span>
                        ) : (
                          <span class="ok">active</span>
                        )}
                      </td>
                      <td>
                        <button type="button" onClick={() => setSelected(s.id)}>
                          Deliveries
                        </button>{' '}
                        <button type="button" onClick={() => void remove(s.id)}>
                          Remove
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableRegion>
          )
        }
      </Answered>
      {selected && <Deliveries key={`${selected}-${version}`} id={selected} onRetried={refresh} />}
    </section>
  );
}

function Deliveries({ id, onRetried }: { id: string; onRetried: () => void }) {
  const log = useAnswer(
    () =>
      allPages(
        (page: PageQuery) =>
          answer(
            api.GET('/v1/subscriptions/{id}/deliveries', {
              params: { path: { id }, query: page },
            }),
          ),
        'items',
      ),
    [id],
  );
  const retry = async (deliveryId: string) => {
    await answer(
      api.POST('/v1/subscriptions/{id}/deliveries/{deliveryId}/retry', {
        params: { path: { id, deliveryId } },
      }),
    );
    onRetried();
  };
  return (
    <section class="panel" aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">Delivery log</h2>
      <Answered answer={log}>
        {({ items }) =>
          items.length === 0 ? (
            <p>Nothing sent to this receiver yet.</p>
          ) : (
            <TableRegion label="Deliveries">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Alert</th>
                    <th scope="col">Ledger position</th>
                    <th scope="col">State</th>
                    <th scope="col">Attempts</th>
                    <th scope="col">Last answer</th>
                    <th scope="col">Latency</th>
                    <th scope="col">Next attempt</th>
                    <th scope="col">Send again</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((d) => (
                    <tr key={d.id}>
                      <th scope="row">
                        {d.type} <span class="muted hash">{d.id}</span>
                      </th>
                      <td>{d.position}</td>
                      <td>
                        <span
                          class={d.state === 'delivered' ? 'ok' : d.state === 'failed' ? 'bad' : ''}
                        >
                          {d.state}
                        </span>
                      </td>
                      <td>{d.attempts}</td>
                      <td>{d.lastStatus ?? d.lastError ?? '—'}</td>
                      <td>{d.lastLatencyMs === null ? '—' : `${d.lastLatencyMs} ms`}</td>
                      <td>{when(d.nextAttemptAt)}</td>
                      <td>
                        <button type="button" onClick={() => void retry(d.id)}>
                          Send again
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableRegion>
          )
        }
      </Answered>
    </section>
  );
}
