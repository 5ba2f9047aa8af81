import type { Schemas } from '../api';
import { dayBefore } from '../dates';

type Interval = Schemas['TimelineInterval'];
export interface Mark {
  date: string;
  label: string;
  kind: 'letter' | 'tdp' | 'end';
}

const WIDTH = 1000;
const BAND_Y = 40;
const BAND_H = 36;
const dayNumber = (date: string) => Date.parse(`${date}T00:00:00Z`) / 86_400_000;
const MONTH_STEPS = [1, 2, 3, 6, 12, 24, 60, 120];

/**
 * The date axis: the first days of months (or 1 January of years) between two day numbers,
 * spaced so about six fit, each labelled as ISO dates are read here (`2007-01`, or `2007`).
 */
export function axisTicks(firstDay: number, lastDay: number): { date: string; label: string }[] {
  const monthOf = (day: number) => {
    const d = new Date(day * 86_400_000);
    return d.getUTCFullYear() * 12 + d.getUTCMonth();
  };
  const [from, to] = [monthOf(firstDay) + 1, monthOf(lastDay)];
  const step = MONTH_STEPS.find((s) => (to - from + 1) / s <= 6) ?? 120;
  const ticks: { date: string; label: string }[] = [];
  for (let month = Math.ceil(from / step) * step; month <= to; month += step) {
    const ym = `${Math.floor(month / 12)}-${String((month % 12) + 1).padStart(2, '0')}`;
    ticks.push({ date: `${ym}-01`, label: step >= 12 ? ym.slice(0, 4) : ym });
  }
  return ticks;
}

/**
 * Authorization windows, suspensions and ends over valid time as coloured bands, with the
 * letters and TDP releases marked and the day asked about as a line. The same intervals are
 * listed in words below the picture, for readers who cannot see it.
 */
export function TimelineChart({
  intervals,
  marks,
  at,
}: {
  intervals: readonly Interval[];
  marks: readonly Mark[];
  at: string;
}) {
  const dates = [
    at,
    ...marks.map((m) => m.date),
    ...intervals.flatMap((i) => [i.from, i.until].filter((d): d is string => d !== null)),
  ].map(dayNumber);
  const margin = Math.max(30, (Math.max(...dates) - Math.min(...dates)) * 0.08);
  const first = Math.min(...dates) - margin;
  const last = Math.max(...dates) + margin;
  const x = (date: string | null, open: number) =>
    date === null ? open : ((dayNumber(date) - first) / (last - first)) * WIDTH;
  // A label too near an edge would be cut off on a phone.
  const ticks = axisTicks(first, last).filter(
    (t) => x(t.date, 0) > WIDTH * 0.04 && x(t.date, 0) < WIDTH * 0.96,
  );
  return (
    <figure class="timeline">
      <svg
        viewBox={`0 0 ${WIDTH} 120`}
        role="img"
        aria-labelledby="timeline-caption"
        preserveAspectRatio="none"
      >
        <title>Status bands over valid time</title>
        {intervals.map((interval) => {
          const from = x(interval.from, 0);
          const until = x(interval.until, WIDTH);
          return (
            <rect
              key={`${interval.from}-${interval.status}`}
              class={`band band-${interval.status}`}
              x={from}
              y={BAND_Y}
              width={Math.max(until - from, 1)}
              height={BAND_H}
            >
              <title>{`${interval.status} from ${interval.from ?? 'the start'}`}</title>
            </rect>
          );
        })}
        {marks.map((mark) => (
          <g key={`${mark.kind}-${mark.date}-${mark.label}`} class={`mark mark-${mark.kind}`}>
            <line x1={x(mark.date, 0)} x2={x(mark.date, 0)} y1={20} y2={BAND_Y + BAND_H + 8} />
            <title>{`${mark.label} (${mark.date})`}</title>
          </g>
        ))}
        {ticks.map((t) => (
          <line
            key={t.date}
            class="tick"
            x1={x(t.date, 0)}
            x2={x(t.date, 0)}
            y1={BAND_Y + BAND_H}
            y2={120}
          />
        ))}
        <line class="asked" x1={x(at, 0)} x2={x(at, 0)} y1={8} y2={112} />
      </svg>
      <ol class="axis" aria-label="Date axis">
        {ticks.map((t) => (
          <li key={t.date} style={{ left: `${(x(t.date, 0) / WIDTH) * 100}%` }}>
            {t.label}
          </li>
        ))}
      </ol>
      <figcaption id="timeline-caption">
        Status over valid time; vertical marks: letters (blue), TDP releases (purple), ends (black);
        the dashed line is the valid date asked about ({at}).
      </figcaption>
      <ol class="intervals">
        {intervals.map((interval) => (
          <li key={`${interval.from}-${interval.status}`}>
            <span class={`badge badge-${interval.status}`}>{interval.status}</span>{' '}
            {interval.from ? `from ${interval.from}` : 'from the start'}
            {interval.until ? ` through ${dayBefore(interval.until)}` : ' on, with no end'}:{' '}
            {interval.explanation}
          </li>
        ))}
      </ol>
      <ul class="marks">
        {marks.map((mark) => (
          <li key={`${mark.kind}-${mark.date}-${mark.label}`}>
            <span class={`swatch swatch-${mark.kind}`} aria-hidden="true" /> {mark.date}:{' '}
            {mark.label}
          </li>
        ))}
      </ul>
    </figure>
  );
}
