import { useState } from 'preact/hooks';
import { RecordNotice } from '../../../src/domain/commands.ts';
import { Slug } from '../../../src/domain/identifiers.ts';
import { api } from '../api';
import { isoDateInput } from '../dates';
import { errorsOf, Field, type FieldErrors, OtherErrors, ProgramField } from './field';
import { OutcomeNote } from './outcome';
import { useSubmission } from './submission';

type Kind = 'authorizes' | 'sunset-after-trigger' | 'ends-on' | 'suspends' | 'revokes';
/** A term as typed: every input a string until the schema reads it. */
interface TermDraft {
  kind: Kind;
  from: string;
  until: string;
  effectiveOn: string;
  specificationId: string;
  months: string;
  days: string;
}
const KINDS: { kind: Kind; label: string }[] = [
  { kind: 'authorizes', label: 'authorizes from a date' },
  { kind: 'sunset-after-trigger', label: 'sunset after a TDP public release, with an offset' },
  { kind: 'ends-on', label: 'ends on a date' },
  { kind: 'suspends', label: 'suspends from a date (until a date)' },
  { kind: 'revokes', label: 'revokes on a date' },
];
const blankTerm = (kind: Kind): TermDraft => ({
  kind,
  from: '',
  until: '',
  effectiveOn: '',
  specificationId: '',
  months: '',
  days: '',
});
const number = (text: string) => (text.trim() === '' ? undefined : Number(text));

/** The term the API takes, from what was typed (the schema judges it, not this function). */
function termOf(draft: TermDraft) {
  switch (draft.kind) {
    case 'authorizes':
      return { kind: draft.kind, from: draft.from };
    case 'sunset-after-trigger': {
      const months = number(draft.months);
      const days = number(draft.days);
      return {
        kind: draft.kind,
        trigger: { specificationId: draft.specificationId, event: 'tdp-public-release' as const },
        offset: {
          ...(months === undefined ? {} : { months }),
          ...(days === undefined ? {} : { days }),
        },
      };
    }
    case 'suspends':
      return { kind: draft.kind, from: draft.from, ...(draft.until ? { until: draft.until } : {}) };
    default:
      return { kind: draft.kind, effectiveOn: draft.effectiveOn };
  }
}

/** An offset judged as a whole ("needs months or days") is shown at its months input. */
function offsetOnMonths(errors: FieldErrors): FieldErrors {
  const moved: FieldErrors = {};
  for (const [path, message] of Object.entries(errors))
    moved[/^terms\.\d+\.offset$/.test(path) ? `${path}.months` : path] ??= message;
  return moved;
}

/** Which inputs a kind of term has: [path below the term, label, input type]. */
const TERM_INPUTS: Record<Kind, [string, string, 'date' | 'text' | 'number'][]> = {
  authorizes: [['from', 'Authorized from', 'date']],
  'sunset-after-trigger': [
    ['trigger.specificationId', 'Specification whose TDP public release triggers it', 'text'],
    ['offset.months', 'Offset: months after the release', 'number'],
    ['offset.days', 'Offset: days after the release', 'number'],
  ],
  'ends-on': [['effectiveOn', 'Ends on (first day not authorized)', 'date']],
  suspends: [
    ['from', 'Suspended from', 'date'],
    ['until', 'Suspended until (first day allowed again; optional)', 'date'],
  ],
  revokes: [['effectiveOn', 'Revoked on (first day not authorized)', 'date']],
};
const draftSlot: Record<string, keyof TermDraft> = {
  from: 'from',
  until: 'until',
  effectiveOn: 'effectiveOn',
  'trigger.specificationId': 'specificationId',
  'offset.months': 'months',
  'offset.days': 'days',
};

/** A regulator's letter with its terms, validated by the API's own RecordNotice schema. */
export function NoticeForm({ programIds }: { programIds: readonly string[] }) {
  const [programId, setProgramId] = useState('');
  const [fields, setFields] = useState({
    noticeId: '',
    issuer: '',
    receivedOn: '',
    documentRef: '',
    summary: '',
    supersedes: '',
  });
  const [terms, setTerms] = useState<TermDraft[]>([blankTerm('authorizes')]);
  const [errors, setErrors] = useState<FieldErrors>({});
  const { key, outcome, submit } = useSubmission();
  const form = 'notice';

  const set = (name: keyof typeof fields) => (event: Event) =>
    setFields({ ...fields, [name]: (event.currentTarget as HTMLInputElement).value });
  const setTerm = (index: number, change: Partial<TermDraft>) =>
    setTerms(terms.map((t, i) => (i === index ? { ...t, ...change } : t)));

  const shown = [
    'programId',
    'noticeId',
    'issuer',
    'receivedOn',
    'documentRef',
    'summary',
    'supersedes',
    ...terms.flatMap((t, i) => TERM_INPUTS[t.kind].map(([path]) => `terms.${i}.${path}`)),
  ];

  const onSubmit = (event: Event) => {
    event.preventDefault();
    const supersedes = fields.supersedes
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const notice = RecordNotice.safeParse({
      noticeId: fields.noticeId,
      issuer: fields.issuer,
      receivedOn: fields.receivedOn,
      documentRef: fields.documentRef,
      summary: fields.summary,
      ...(supersedes.length ? { supersedes } : {}),
      terms: terms.map(termOf),
    });
    const program = Slug.safeParse(programId);
    const found = {
      ...(notice.success ? {} : offsetOnMonths(errorsOf(notice.error))),
      ...(program.success ? {} : { programId: program.error.issues[0]?.message ?? 'not valid' }),
    };
    setErrors(found);
    if (!notice.success || !program.success) {
      document.getElementById(`${form}-${Object.keys(found)[0]?.replaceAll('.', '-')}`)?.focus();
      return;
    }
    void submit((idempotencyKey) =>
      api.POST('/v1/programs/{id}/notices', {
        params: { path: { id: program.data }, header: { 'idempotency-key': idempotencyKey } },
        body: notice.data,
      }),
    );
  };

  return (
    <form class="record" onSubmit={onSubmit} noValidate aria-labelledby="notice-title">
      <h2 id="notice-title">Record a notice (a regulator's letter)</h2>
      <ProgramField
        form={form}
        errors={errors}
        value={programId}
        onInput={(e) => setProgramId((e.currentTarget as HTMLInputElement).value)}
        programIds={programIds}
      />
      <div class="row">
        <Field
          form={form}
          path="noticeId"
          label="Notice id"
          errors={errors}
          hint="e.g. usps-2007-06-15"
        >
          {(props) => <input {...props} value={fields.noticeId} onInput={set('noticeId')} />}
        </Field>
        <Field form={form} path="receivedOn" label="Received on" errors={errors}>
          {(props) => (
            <input
              {...props}
              {...isoDateInput}
              value={fields.receivedOn}
              onInput={set('receivedOn')}
            />
          )}
        </Field>
      </div>
      <Field form={form} path="issuer" label="Issuer" errors={errors}>
        {(props) => <input {...props} value={fields.issuer} onInput={set('issuer')} />}
      </Field>
      <Field form={form} path="documentRef" label="Document reference" errors={errors}>
        {(props) => <input {...props} value={fields.documentRef} onInput={set('documentRef')} />}
      </Field>
      <Field form={form} path="summary" label="Summary" errors={errors}>
        {(props) => (
          <textarea {...props} rows={3} value={fields.summary} onInput={set('summary')} />
        )}
      </Field>
      <Field
        form={form}
        path="supersedes"
        label="Supersedes (notice ids, comma-separated; optional)"
        errors={errors}
      >
        {(props) => <input {...props} value={fields.supersedes} onInput={set('supersedes')} />}
      </Field>
      <fieldset>
        <legend>Terms</legend>
        {terms.map((term, index) => (
          <fieldset class="term" key={`${index}-${term.kind}`}>
            <legend>Term {index + 1}</legend>
            <Field form={form} path={`terms.${index}.kind`} label="Kind" errors={errors}>
              {(props) => (
                <select
                  {...props}
                  value={term.kind}
                  onChange={(e) =>
                    setTerm(index, blankTerm((e.currentTarget as HTMLSelectElement).value as Kind))
                  }
                >
                  {KINDS.map((k) => (
                    <option key={k.kind} value={k.kind}>
                      {k.label}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            {TERM_INPUTS[term.kind].map(([path, label, type]) => {
              const slot = draftSlot[path] as keyof TermDraft;
              return (
                <Field
                  key={path}
                  form={form}
                  path={`terms.${index}.${path}`}
                  label={label}
                  errors={errors}
                >
                  {(props) => {
                    const common = {
                      ...props,
                      value: term[slot],
                      onInput: (e: Event) =>
                        setTerm(index, { [slot]: (e.currentTarget as HTMLInputElement).value }),
                    };
                    if (type === 'number') return <input {...common} type="number" min={0} />;
                    if (type === 'date') return <input {...common} {...isoDateInput} />;
                    return <input {...common} />;
                  }}
                </Field>
              );
            })}
            <button type="button" onClick={() => setTerms(terms.filter((_, i) => i !== index))}>
              Remove term {index + 1}
            </button>
          </fieldset>
        ))}
        <button type="button" onClick={() => setTerms([...terms, blankTerm('authorizes')])}>
          Add a term
        </button>
      </fieldset>
      <OtherErrors errors={errors} shown={shown} />
      <p class="muted">Idempotency-Key of this submission: {key}</p>
      <button type="submit" class="primary" disabled={outcome.state === 'sending'}>
        Record the notice
      </button>
      <OutcomeNote outcome={outcome} programId={programId.trim().toLowerCase()} />
    </form>
  );
}
