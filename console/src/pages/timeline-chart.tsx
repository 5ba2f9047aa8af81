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
        <line class="asked" x1={x(at, 0)} x2={x(at, 0)} y1={8} y2={112} />
      </svg>
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
