/**
 * What `compliance-ledger import-csv` reads: one CSV per kind of record, each row turned into the
 * domain command the API would take, checked by the domain's command schemas. Recording them is
 * csv-import.ts's part.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { z } from 'zod';
import { ProgramCommand, SpecificationCommand } from '../domain/index.ts';
import { CliError, EXIT } from './exit-codes.ts';

/** The file names a folder is read for, in the order their rows are recorded. */
export const CSV_FILES = [
  'specifications.csv',
  'tdp-releases.csv',
  'programs.csv',
  'letters.csv',
  'terms.csv',
  'license-applications.csv',
  'license-decisions.csv',
  'shipments.csv',
] as const;
export type CsvFile = (typeof CSV_FILES)[number];

/** One row's command, with where it came from and the key that makes recording it idempotent. */
export type CsvRecord = {
  /** `file:line`, for the one-line message naming the first problem. */
  where: string;
  /** The row's own key: a second run with the same row records nothing. */
  key: string;
} & (
  | { aggregate: 'specification'; id: string; command: SpecificationCommand }
  | { aggregate: 'program'; id: string; command: ProgramCommand }
);

interface Row {
  where: string;
  cells: Record<string, string>;
}

/** A problem in a file, named by file and line; nothing is recorded. */
const refused = (where: string, message: string) =>
  new CliError(EXIT.refused, `${where}: ${message}`);

/** Reads the files (by their fixed names) and gives their commands in recording order. */
export function csvRecords(files: ReadonlyMap<CsvFile, string>): CsvRecord[] {
  const rows = (name: CsvFile) => {
    const path = files.get(name);
    return path === undefined ? [] : readRows(path);
  };
  const termsOf = groupTerms(rows('terms.csv'));
  const letters = rows('letters.csv').map((row) => letter(row, termsOf));
  const orphan = [...termsOf.values()].find((terms) => !terms.claimed);
  if (orphan)
    throw refused(
      orphan.rows[0]?.where ?? 'terms.csv',
      `letterId ${orphan.letterId} names no row of letters.csv`,
    );
  return once([
    ...rows('specifications.csv').map(specification),
    ...rows('tdp-releases.csv').map(tdpRelease),
    ...rows('programs.csv').map(program),
    ...letters,
    ...rows('license-applications.csv').map(licenseApplication),
    ...rows('license-decisions.csv').map(licenseDecision),
    ...rows('shipments.csv').map(shipment),
  ]);
}

/** What a row's key names, for the message on a row that repeats another. */
const NOUNS: Record<string, string> = {
  specifications: 'specification',
  'tdp-releases': 'TDP release',
  programs: 'program',
  letters: 'letter',
  'license-applications': 'license application',
  'license-decisions': 'license decision',
  shipments: 'shipment',
};

/** Refuses a row with the key of an earlier one: one record, one row. */
function once(records: CsvRecord[]): CsvRecord[] {
  const seen = new Map<string, string>();
  for (const record of records) {
    const earlier = seen.get(record.key);
    const kind = record.key.slice(0, record.key.indexOf(':'));
    if (earlier !== undefined)
      throw refused(record.where, `the same ${NOUNS[kind]} as line ${earlier.split(':').at(-1)}`);
    seen.set(record.key, record.where);
  }
  return records;
}

function readRows(path: string): Row[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(EXIT.usage, `cannot read ${path}: ${(error as Error).message}`);
  }
  const name = basename(path);
  try {
    const records = parse(text, {
      columns: true,
      bom: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
    }) as { record: Record<string, string>; info: { lines: number } }[];
    return records.map(({ record, info }) => ({ where: `${name}:${info.lines}`, cells: record }));
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    throw refused(
      `${name}${line ? `:${line}` : ''}`,
      `not readable as CSV: ${(error as Error).message}`,
    );
  }
}

/** The row's non-empty cells among `columns` (an empty cell is a field left out). */
function cells(row: Row, columns: readonly string[]): Record<string, string> {
  const unknown = Object.keys(row.cells).find((c) => !columns.includes(c));
  if (unknown !== undefined)
    throw refused(row.where, `unknown column "${unknown}" (the columns are ${columns.join(', ')})`);
  return Object.fromEntries(Object.entries(row.cells).filter(([, v]) => v !== ''));
}

/** A whole number from a cell, or the text as it is (the schema then says what is wrong). */
const number = (text: string | undefined) =>
  text !== undefined && /^\d+$/.test(text) ? Number(text) : text;
const boolean = (text: string | undefined) =>
  text === 'true' ? true : text === 'false' ? false : text;

/** The command if the domain's schema takes it, else the row's problem in the schema's words. */
function checked<C>(
  row: Row,
  schema: z.ZodType<C>,
  command: unknown,
  lineOf = (_path: PropertyKey[]) => row.where,
): C {
  const parsed = schema.safeParse(command);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = (issue?.path ?? []).slice(1); // past "data"
  const field = path.filter((p) => typeof p === 'string').at(-1);
  throw refused(lineOf(path), `${field ? `${String(field)}: ` : ''}${issue?.message ?? 'invalid'}`);
}

function specification(row: Row): CsvRecord {
  const c = cells(row, ['specificationId', 'regulator', 'title', 'supersedes']);
  const command = checked(row, SpecificationCommand, { type: 'RegisterSpecification', data: c });
  return {
    where: row.where,
    key: `specifications:${c.specificationId}`,
    aggregate: 'specification',
    id: String(c.specificationId),
    command,
  };
}

function tdpRelease(row: Row): CsvRecord {
  const { specificationId, ...c } = cells(row, [
    'specificationId',
    'releasedOn',
    'publicRelease',
    'documentRef',
    'documentSha256',
  ]);
  const data = { ...c, publicRelease: boolean(c.publicRelease) };
  const command = checked(row, SpecificationCommand, { type: 'ReleaseTechnicalDataPackage', data });
  if (!specificationId) throw refused(row.where, 'specificationId: is empty');
  return {
    where: row.where,
    key: `tdp-releases:${specificationId}:${c.releasedOn}`,
    aggregate: 'specification',
    id: specificationId,
    command,
  };
}

function program(row: Row): CsvRecord {
  const c = cells(row, [
    'programId',
    'supplierId',
    'specificationId',
    'channel',
    'regulator',
    'description',
  ]);
  const command = checked(row, ProgramCommand, { type: 'RegisterProgram', data: c });
  return {
    where: row.where,
    key: `programs:${c.programId}`,
    aggregate: 'program',
    id: String(c.programId),
    command,
  };
}

/** A program's row: its programId column names the program, the rest is the command's data. */
function programRow(
  row: Row,
  columns: readonly string[],
): { programId: string; c: Record<string, string> } {
  const { programId, ...c } = cells(row, ['programId', ...columns]);
  if (!programId) throw refused(row.where, 'programId: is empty');
  return { programId, c };
}

interface LetterTerms {
  letterId: string;
  rows: Row[];
  claimed: boolean;
}

const TERM_COLUMNS = [
  'letterId',
  'kind',
  'from',
  'until',
  'effectiveOn',
  'date',
  'trigger',
  'offset',
  'units',
  'per',
  'customerRef',
  'destination',
];

function groupTerms(rows: readonly Row[]): Map<string, LetterTerms> {
  const byLetter = new Map<string, LetterTerms>();
  for (const row of rows) {
    const letterId = cells(row, TERM_COLUMNS).letterId;
    if (!letterId) throw refused(row.where, 'letterId: is empty');
    const terms = byLetter.get(letterId) ?? { letterId, rows: [], claimed: false };
    terms.rows.push(row);
    byLetter.set(letterId, terms);
  }
  return byLetter;
}

/**
 * A term row as the domain's term: `trigger` names the specification whose public TDP release
 * starts a sunset, `offset` is an ISO 8601 period (P4M: four months); other cells are the term's
 * fields as they are named.
 */
function term(row: Row): unknown {
  const { letterId: _, trigger, offset, units, ...c } = cells(row, TERM_COLUMNS);
  return {
    ...c,
    ...(units !== undefined ? { units: number(units) } : {}),
    ...(trigger !== undefined
      ? { trigger: { specificationId: trigger, event: 'tdp-public-release' } }
      : {}),
    ...(offset !== undefined ? { offset: period(offset) } : {}),
  };
}

/** `P1Y2M3W4D` (any parts, in that order) as a calendar offset; other text as it is. */
function period(text: string): unknown {
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$/.exec(text);
  if (!m) return text;
  const [, years, months, weeks, days] = m.map((part) =>
    part === undefined ? undefined : Number(part),
  );
  return Object.fromEntries(
    Object.entries({ years, months, weeks, days }).filter(([, v]) => v !== undefined),
  );
}

function letter(row: Row, termsOf: Map<string, LetterTerms>): CsvRecord {
  const { programId, c } = programRow(row, [
    'letterId',
    'issuer',
    'receivedOn',
    'effectiveOn',
    'documentRef',
    'documentSha256',
    'summary',
    'supersedes',
  ]);
  const { letterId, supersedes, ...rest } = c;
  const terms = letterId === undefined ? undefined : termsOf.get(letterId);
  if (terms) terms.claimed = true;
  const data = {
    noticeId: letterId,
    ...rest,
    ...(supersedes !== undefined ? { supersedes: supersedes.split(/\s+/) } : {}),
    terms: (terms?.rows ?? []).map(term),
  };
  // A term's problem is named by its own line in terms.csv.
  const lineOf = (path: PropertyKey[]) =>
    path[0] === 'terms' && typeof path[1] === 'number'
      ? (terms?.rows[path[1]]?.where ?? row.where)
      : row.where;
  const command = checked(row, ProgramCommand, { type: 'RecordNotice', data }, lineOf);
  return {
    where: row.where,
    key: `letters:${programId}:${letterId}`,
    aggregate: 'program',
    id: programId,
    command,
  };
}

function licenseApplication(row: Row): CsvRecord {
  const { programId, c } = programRow(row, [
    'applicationId',
    'submittedOn',
    'documentRef',
    'documentSha256',
  ]);
  const command = checked(row, ProgramCommand, { type: 'SubmitLicenseApplication', data: c });
  return {
    where: row.where,
    key: `license-applications:${programId}:${c.applicationId}`,
    aggregate: 'program',
    id: programId,
    command,
  };
}

/** A decision's reasons are the lines of its `reasons` cell (a quoted cell holds several). */
function licenseDecision(row: Row): CsvRecord {
  const { programId, c } = programRow(row, [
    'applicationId',
    'decidedOn',
    'decision',
    'reasons',
    'resubmissionAllowed',
  ]);
  const data = {
    ...c,
    reasons: (c.reasons ?? '')
      .split(/\r?\n/)
      .map((r) => r.trim())
      .filter((r) => r !== ''),
    resubmissionAllowed: boolean(c.resubmissionAllowed),
  };
  const command = checked(row, ProgramCommand, { type: 'DecideLicenseApplication', data });
  return {
    where: row.where,
    key: `license-decisions:${programId}:${c.applicationId}`,
    aggregate: 'program',
    id: programId,
    command,
  };
}

function shipment(row: Row): CsvRecord {
  const { programId, c } = programRow(row, [
    'shipmentId',
    'shippedOn',
    'units',
    'customerRef',
    'destination',
  ]);
  const data = { ...c, units: number(c.units) };
  const command = checked(row, ProgramCommand, { type: 'RecordShipment', data });
  return {
    where: row.where,
    key: `shipments:${programId}:${c.shipmentId}`,
    aggregate: 'program',
    id: programId,
    command,
  };
}
