import { useState } from 'preact/hooks';
import type { z } from 'zod';
import { PlannedShipment } from '../../../src/domain/commands.ts';
import { Slug } from '../../../src/domain/identifiers.ts';
import { answer, api, type Schemas } from '../api';
import { isoDateInput } from '../dates';
import { errorsOf, Field, type FieldErrors, OtherErrors, ProgramField } from './field';

type Checked = Awaited<ReturnType<typeof check>>;
const check = (programId: string, line: z.infer<typeof PlannedShipment>) =>
  answer(api.POST('/v1/programs/{id}/checks', { params: { path: { id: programId } }, body: line }));

/** Before a shipment: would it be allowed, why, and what each limit leaves. Nothing is written. */
export function CheckForm({ programIds }: { programIds: readonly string[] }) {
  const [fields, setFields] = useState({
    programId: '',
    shippedOn: '',
    units: '',
    customerRef: '',
    destination: '',
  });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [outcome, setOutcome] = useState<
    | { state: 'idle' | 'sending' }
    | { state: 'answered'; checked: Checked }
    | { state: 'failed'; message: string }
  >({ state: 'idle' });
  const form = 'check';
  const set = (name: keyof typeof fields) => (event: Event) =>
    setFields({ ...fields, [name]: (event.currentTarget as HTMLInputElement).value });

  const onSubmit = async (event: Event) => {
    event.preventDefault();
    const line = PlannedShipment.safeParse({
      shippedOn: fields.shippedOn,
      units: fields.units.trim() === '' ? undefined : Number(fields.units),
      ...(fields.customerRef.trim() ? { customerRef: fields.customerRef } : {}),
      ...(fields.destination.trim() ? { destination: fields.destination } : {}),
    });
    const program = Slug.safeParse(fields.programId);
    setErrors({
      ...(line.success ? {} : errorsOf(line.error)),
      ...(program.success ? {} : { programId: program.error.issues[0]?.message ?? 'not valid' }),
    });
    if (!line.success || !program.success) return;
    setOutcome({ state: 'sending' });
    try {
      setOutcome({ state: 'answered', checked: await check(program.data, line.data) });
    } catch (error) {
      setOutcome({ state: 'failed', message: (error as Error).message });
    }
  };

  return (
    <form class="record" onSubmit={onSubmit} noValidate aria-labelledby="check-title">
      <h2 id="check-title">Check before shipping</h2>
      <ProgramField
        form={form}
        errors={errors}
        value={fields.programId}
        onInput={set('programId')}
        programIds={programIds}
      />
      <div class="row">
        <Field form={form} path="shippedOn" label="Planned shipping date" errors={errors}>
          {(props) => (
            <input
              {...props}
              {...isoDateInput}
              value={fields.shippedOn}
              onInput={set('shippedOn')}
            />
          )}
        </Field>
        <Field form={form} path="units" label="Units" errors={errors}>
          {(props) => (
            <input {...props} type="number" min={1} value={fields.units} onInput={set('units')} />
          )}
        </Field>
      </div>
      <div class="row">
        <Field form={form} path="customerRef" label="Customer reference (optional)" errors={errors}>
          {(props) => <input {...props} value={fields.customerRef} onInput={set('customerRef')} />}
        </Field>
        <Field form={form} path="destination" label="Destination (optional)" errors={errors}>
          {(props) => <input {...props} value={fields.destination} onInput={set('destination')} />}
        </Field>
      </div>
      <OtherErrors
        errors={errors}
        shown={['programId', 'shippedOn', 'units', 'customerRef', 'destination']}
      />
      <button type="submit" class="primary" disabled={outcome.state === 'sending'}>
        Check
      </button>
      {outcome.state === 'sending' && <p aria-live="polite">Checking…</p>}
      {outcome.state === 'failed' && (
        <p role="alert" class="error">
          Not checked: {outcome.message}
        </p>
      )}
      {outcome.state === 'answered' && <CheckAnswer checked={outcome.checked} />}
    </form>
  );
}

function CheckAnswer({ checked }: { checked: Checked }) {
  const blocked = checked.decision === 'blocked';
  return (
    <div role={blocked ? 'alert' : 'status'} class={blocked ? 'error' : 'ok-note'}>
      <p>{checked.explanation}</p>
      {checked.remaining.length > 0 && <LimitsTable limits={checked.remaining} />}
    </div>
  );
}

/** Units used and left under each limit, tightest first. */
export function LimitsTable({ limits }: { limits: readonly Schemas['LimitUse'][] }) {
  return (
    <table>
      <caption>Limits</caption>
      <thead>
        <tr>
          <th scope="col">Limit</th>
          <th scope="col">Set by</th>
          <th scope="col">Period</th>
          <th scope="col">Used before</th>
          <th scope="col">Left after</th>
        </tr>
      </thead>
      <tbody>
        {limits.map((l) => (
          <tr key={l.limitId}>
            <td>
              {l.limit} per {l.per}
              {l.customerRef ? ` to ${l.customerRef}` : ''}
              {l.destination ? ` to ${l.destination}` : ''}
            </td>
            <td>{l.setBy}</td>
            <td>{l.period.name}</td>
            <td>{l.used}</td>
            <td>{l.remaining}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
