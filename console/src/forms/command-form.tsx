import { useEffect, useState } from 'preact/hooks';
import type { z } from 'zod';
import type { Schemas } from '../api';
import { isoDateInput } from '../dates';
import { errorsOf, Field, type FieldErrors, OtherErrors } from './field';
import { OutcomeNote } from './outcome';
import { useSubmission } from './submission';

/** One input of a command form: a path the schema names (its errors land beside it). */
export interface Input {
  path: string;
  label: string;
  type?: 'text' | 'date' | 'textarea' | 'select' | 'checkbox';
  options?: readonly string[];
  /** Known values offered while typing (ids of programs, specifications). */
  suggestions?: readonly { value: string; title?: string }[];
  hint?: string;
}

/** What was typed, every value a string ("true" or "" for a checkbox) until a schema reads it. */
export type Typed = Record<string, string>;
export type Judged<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors };

/**
 * The command's body judged by its own domain schema, and the ids its URL takes judged one by
 * one (each error shown at that id's input).
 */
export function judge<B>(
  body: z.ZodSafeParseResult<B>,
  ids: Record<string, z.ZodSafeParseResult<string>> = {},
): Judged<{ body: B; ids: Record<string, string> }> {
  const errors: FieldErrors = body.success ? {} : errorsOf(body.error);
  const good: Record<string, string> = {};
  for (const [path, id] of Object.entries(ids))
    if (id.success) good[path] = id.data;
    else errors[path] = id.error.issues[0]?.message ?? 'is not valid';
  return body.success && Object.keys(errors).length === 0
    ? { ok: true, value: { body: body.data, ids: good } }
    : { ok: false, errors };
}

type Sent = Promise<{ data?: Schemas['CommandAccepted']; error?: unknown; response: Response }>;

/**
 * A form that records one command: labelled inputs with their errors beside them, one
 * Idempotency-Key per submission (useSubmission), the answer announced below the button.
 */
export function CommandForm<T>({
  form,
  title,
  inputs,
  initial = {},
  read,
  send,
  submitLabel,
  programId,
  onRecorded,
  heading = 'h2',
}: {
  form: string;
  title: string;
  inputs: readonly Input[];
  initial?: Typed;
  read: (typed: Typed) => Judged<T>;
  send: (value: T, idempotencyKey: string) => Sent;
  submitLabel: string;
  programId?: (typed: Typed) => string;
  onRecorded?: () => void;
  heading?: 'h2' | 'h3';
}) {
  const [typed, setTyped] = useState<Typed>(initial);
  const [errors, setErrors] = useState<FieldErrors>({});
  const { key, outcome, submit } = useSubmission();
  useEffect(() => {
    if (outcome.state === 'recorded') onRecorded?.();
  }, [outcome]);
  const set = (path: string, value: string) => setTyped({ ...typed, [path]: value });

  const onSubmit = (event: Event) => {
    event.preventDefault();
    const judged = read(typed);
    setErrors(judged.ok ? {} : judged.errors);
    if (!judged.ok) {
      const first = Object.keys(judged.errors)[0] ?? '';
      document.getElementById(`${form}-${first.replaceAll('.', '-')}`)?.focus();
      return;
    }
    void submit((idempotencyKey) => send(judged.value, idempotencyKey));
  };
  const Heading = heading;

  return (
    <form class="record" onSubmit={onSubmit} noValidate aria-labelledby={`${form}-heading`}>
      <Heading id={`${form}-heading`}>{title}</Heading>
      {inputs.map((input) =>
        input.type === 'checkbox' ? (
          <label class="check" key={input.path}>
            <input
              type="checkbox"
              checked={typed[input.path] === 'true'}
              onChange={(e) =>
                set(input.path, (e.currentTarget as HTMLInputElement).checked ? 'true' : '')
              }
            />
            {input.label}
          </label>
        ) : (
          <Field
            key={input.path}
            form={form}
            path={input.path}
            label={input.label}
            errors={errors}
            hint={input.hint}
          >
            {(props) => {
              const common = {
                ...props,
                value: typed[input.path] ?? '',
                onInput: (e: Event) => set(input.path, (e.currentTarget as HTMLInputElement).value),
              };
              if (input.type === 'textarea') return <textarea {...common} rows={3} />;
              if (input.type === 'select')
                return (
                  <select {...common} onChange={common.onInput}>
                    {input.options?.map((o) => (
                      <option key={o} value={o}>
                        {o}
                      </option>
                    ))}
                  </select>
                );
              if (input.type === 'date') return <input {...common} {...isoDateInput} />;
              if (!input.suggestions) return <input {...common} />;
              return (
                <>
                  <input {...common} list={`${props.id}-known`} />
                  <datalist id={`${props.id}-known`}>
                    {input.suggestions.map((s) => (
                      <option key={s.value} value={s.value}>
                        {s.title}
                      </option>
                    ))}
                  </datalist>
                </>
              );
            }}
          </Field>
        ),
      )}
      <OtherErrors errors={errors} shown={inputs.map((i) => i.path)} />
      <p class="muted">Idempotency-Key of this submission: {key}</p>
      <button type="submit" class="primary" disabled={outcome.state === 'sending'}>
        {submitLabel}
      </button>
      <OutcomeNote outcome={outcome} programId={programId?.(typed).trim().toLowerCase()} />
    </form>
  );
}
