import {
  type CalendarDate,
  type Rule,
  resolveAuthorization,
  statusOn,
} from '../src/domain/index.ts';
import { factsOfProgram, type ProgramFactsIndex } from './program-facts.ts';
import { addDays, daysBetween } from './timeline.ts';

export interface Deadline {
  programId: string;
  /** First day no longer authorized. */
  until: CalendarDate;
  daysLeft: number;
  rule: Rule;
  explanation: string;
}

/** Programs, as known now, whose authorization ends within `withinDays` days after `today`. */
export function deadlines(
  index: ProgramFactsIndex,
  options: { today: CalendarDate; withinDays: number },
): Deadline[] {
  const horizon = addDays(options.today, options.withinDays);
  const found: Deadline[] = [];
  for (const programId of index.programs.keys()) {
    const picture = resolveAuthorization(factsOfProgram(index, programId) ?? []);
    const end = picture.end;
    if (!end || end.date <= options.today || end.date > horizon) continue;
    const ending = statusOn(picture, end.date);
    found.push({
      programId,
      until: end.date,
      daysLeft: daysBetween(options.today, end.date),
      rule: ending.rule,
      explanation: ending.explanation,
    });
  }
  return found.sort((a, b) =>
    a.until === b.until ? a.programId.localeCompare(b.programId) : a.until < b.until ? -1 : 1,
  );
}
