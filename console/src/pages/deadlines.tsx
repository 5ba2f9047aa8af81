import { useState } from 'preact/hooks';
import { allPages, type PageQuery } from '../all-pages';
import { answer, api } from '../api';
import { Answered, TableRegion } from '../components';
import { lastAuthorizedDay } from '../dates';
import { KnownAtField } from '../known-at-field';
import { programHref } from '../route';
import { useAnswer } from '../use-answer';

const HORIZONS = [30, 60, 90] as const;

/** What ends in the next 30, 60 or 90 days, soonest first (the API's order), with its letter. */
export function DeadlinesPage() {
  const [withinDays, setWithin] = useState<number>(90);
  const [knownAt, setKnownAt] = useState('');
  const found = useAnswer(
    () =>
      allPages(
        (page: PageQuery) =>
          answer(
            api.GET('/v1/deadlines', {
              params: {
                query: { withinDays, ...(knownAt ? { asKnownAt: knownAt } : {}), ...page },
              },
            }),
          ),
        'deadlines',
      ),
    [withinDays, knownAt],
  );
  return (
    <section aria-labelledby="deadlines-title">
      <h1 id="deadlines-title">Deadlines</h1>
      <fieldset class="choice">
        <legend>Ends within</legend>
        {HORIZONS.map((days) => (
          <label key={days}>
            <input
              type="radio"
              name="within"
              value={days}
              checked={withinDays === days}
              onChange={() => setWithin(days)}
            />
            {days} days
          </label>
        ))}
      </fieldset>
      <KnownAtField id="deadlines-known-at" value={knownAt} onChange={setKnownAt} />
      <Answered answer={found}>
        {({ today, deadlines }) =>
          deadlines.length === 0 ? (
            <p>
              Nothing ends between {today} and {withinDays} days later.
            </p>
          ) : (
            <TableRegion label="Deadlines">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Last authorized day</th>
                    <th scope="col">Days left</th>
                    <th scope="col">Program</th>
                    <th scope="col">Set by (the letter and rule)</th>
                  </tr>
                </thead>
                <tbody>
                  {deadlines.map((d) => (
                    <tr key={d.programId}>
                      <td>{lastAuthorizedDay(d)}</td>
                      <td>{d.daysLeft}</td>
                      <th scope="row">
                        <a href={programHref(d.programId)}>{d.programId}</a>
                      </th>
                      <td>
                        {d.explanation} <span class="muted">({d.rule})</span>
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
