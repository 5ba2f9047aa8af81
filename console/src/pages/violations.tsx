import { useState } from 'preact/hooks';
import { allPages, type PageQuery } from '../all-pages';
import { answer, api, type Schemas } from '../api';
import { Answered, StatusBadge, TableRegion } from '../components';
import { readableInstant } from '../dates';
import { KnownAtField } from '../known-at-field';
import { programHref } from '../route';
import { useAnswer } from '../use-answer';

function Check({ check }: { check: Schemas['ShipmentViolation']['asKnownNow'] }) {
  return (
    <>
      <span class={check.compliant ? 'ok' : 'bad'}>
        {check.compliant ? 'compliant' : 'violation'}
      </span>{' '}
      <StatusBadge status={check.status} /> <span class="muted">{check.rule}</span>
    </>
  );
}

/** Shipments outside an authorization, as known now beside as known when recorded; late facts. */
export function ViolationsPage() {
  const [thresholdDays, setThreshold] = useState(30);
  const [knownAt, setKnownAt] = useState('');
  const asKnownAt = knownAt ? { asKnownAt: knownAt } : {};
  const violations = useAnswer(
    () =>
      allPages(
        (page: PageQuery) =>
          answer(
            api.GET('/v1/compliance/violations', { params: { query: { ...asKnownAt, ...page } } }),
          ),
        'violations',
      ),
    [knownAt],
  );
  const backdated = useAnswer(
    () =>
      allPages(
        (page: PageQuery) =>
          answer(
            api.GET('/v1/compliance/backdating', {
              params: { query: { thresholdDays, ...asKnownAt, ...page } },
            }),
          ),
        'facts',
      ),
    [thresholdDays, knownAt],
  );
  return (
    <section aria-labelledby="violations-title">
      <h1 id="violations-title">Violations and backdating</h1>
      <KnownAtField id="violations-known-at" value={knownAt} onChange={setKnownAt} />
      <h2>Shipments outside an authorization</h2>
      <Answered answer={violations}>
        {({ violations: found }) =>
          found.length === 0 ? (
            <p>No shipment falls outside an authorization.</p>
          ) : (
            <TableRegion label="Shipment violations">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Shipment</th>
                    <th scope="col">Program</th>
                    <th scope="col">Shipped on</th>
                    <th scope="col">Units</th>
                    <th scope="col">As known now</th>
                    <th scope="col">As known when recorded</th>
                  </tr>
                </thead>
                <tbody>
                  {found.map((v) => (
                    <tr key={v.eventId}>
                      <th scope="row">{v.shipmentId}</th>
                      <td>
                        <a href={programHref(v.programId)}>{v.programId}</a>
                      </td>
                      <td>{v.shippedOn}</td>
                      <td>{v.units}</td>
                      <td>
                        <Check check={v.asKnownNow} />
                      </td>
                      <td>
                        <Check check={v.asKnownWhenRecorded} />
                        <div class="muted">
                          recorded {readableInstant(v.recordedAt)}, position {v.position}
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableRegion>
          )
        }
      </Answered>
      <h2>Facts recorded long after their valid date</h2>
      <label class="threshold">
        Recorded more than (days) after the valid date
        <input
          type="number"
          min={0}
          value={thresholdDays}
          onChange={(event) =>
            setThreshold(Number((event.currentTarget as HTMLInputElement).value))
          }
        />
      </label>
      <Answered answer={backdated}>
        {({ facts }) =>
          facts.length === 0 ? (
            <p>No fact was recorded more than {thresholdDays} days after its valid date.</p>
          ) : (
            <TableRegion label="Backdated facts">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Event</th>
                    <th scope="col">Stream</th>
                    <th scope="col">Valid date</th>
                    <th scope="col">Recorded</th>
                    <th scope="col">Days late</th>
                  </tr>
                </thead>
                <tbody>
                  {facts.map((f) => (
                    <tr key={f.eventId}>
                      <th scope="row">
                        {f.type} <span class="muted">#{f.position}</span>
                      </th>
                      <td>{f.stream}</td>
                      <td>{f.validDate}</td>
                      <td>{readableInstant(f.recordedAt)}</td>
                      <td>{f.lagDays}</td>
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
