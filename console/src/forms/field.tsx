import type { ComponentChildren } from 'preact';
import type { z } from 'zod';

/** Validation messages by field path (`terms.0.offset.months`), as zod names them. */
export type FieldErrors = Record<string, string>;

export function errorsOf(error: z.ZodError): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of error.issues) {
    const path = issue.path.join('.');
    errors[path] ??= issue.message;
  }
  return errors;
}

export const fieldId = (form: string, path: string) => `${form}-${path.replaceAll('.', '-')}`;

/**
 * A labelled input with its error right below it; the input names the error through
 * aria-describedby and aria-invalid, so a screen reader reads both together.
 */
export function Field({
  form,
  path,
  label,
  errors,
  hint,
  children,
}: {
  form: string;
  path: string;
  label: string;
  errors: FieldErrors;
  hint?: string;
  children: (props: {
    id: string;
    'aria-invalid': boolean;
    'aria-describedby': string | undefined;
  }) => ComponentChildren;
}) {
  const id = fieldId(form, path);
  const error = errors[path];
  const described = [hint ? `${id}-hint` : null, error ? `${id}-error` : null]
    .filter(Boolean)
    .join(' ');
  return (
    <div class={`field${error ? ' invalid' : ''}`}>
      <label for={id}>{label}</label>
      {children({ id, 'aria-invalid': Boolean(error), 'aria-describedby': described || undefined })}
      {hint && (
        <small id={`${id}-hint`} class="muted">
          {hint}
        </small>
      )}
      {error && (
        <small id={`${id}-error`} class="field-error">
          {error}
        </small>
      )}
    </div>
  );
}

/** Errors no field shows (e.g. the whole offset), listed above the submit button. */
export function OtherErrors({ errors, shown }: { errors: FieldErrors; shown: readonly string[] }) {
  const rest = Object.entries(errors).filter(([path]) => !shown.includes(path));
  if (rest.length === 0) return null;
  return (
    <ul class="field-error" role="alert">
      {rest.map(([path, message]) => (
        <li key={path}>
          {path ? `${path}: ` : ''}
          {message}
        </li>
      ))}
    </ul>
  );
}

/** The program a record is about, with the ledger's programs offered as suggestions. */
export function ProgramField({
  form,
  errors,
  value,
  onInput,
  programIds,
}: {
  form: string;
  errors: FieldErrors;
  value: string;
  onInput: (event: Event) => void;
  programIds: readonly string[];
}) {
  return (
    <Field form={form} path="programId" label="Program" errors={errors}>
      {(props) => (
        <>
          <input {...props} list={`${props.id}-known`} value={value} onInput={onInput} />
          <datalist id={`${props.id}-known`}>
            {programIds.map((id) => (
              <option key={id} value={id} />
            ))}
          </datalist>
        </>
      )}
    </Field>
  );
}
