import { useState } from 'preact/hooks';
import { RecordShipment } from '../../../src/domain/commands.ts';
import { Slug } from '../../../src/domain/identifiers.ts';
import { api } from '../api';
import { isoDateInput } from '../dates';
import { errorsOf, Field, type FieldErrors, OtherErrors, ProgramField } from './field';
import { OutcomeNote } from './outcome';
import { useSubmission } from './submission';

/** A shipment made: recorded even outside an authorization, and then flagged as a violation. */
export function ShipmentForm({ programIds }: { programIds: readonly string[] }) {
  const [fields, setFields] = useState({
    programId: '',
    shipmentId: '',
    shippedOn: '',
    units: '',
    customerRef: '',
    destination: '',
  });
  const [errors, setErrors] = useState<FieldErrors>({});
  const { key, outcome, submit } = useSubmission();
  const form = 'shipment';
  const set = (name: keyof typeof fields) => (event: Event) =>
    setFields({ ...fields, [name]: (event.currentTarget as HTMLInputElement).value });

  const onSubmit = (event: Event) => {
    event.preventDefault();
    const shipment = RecordShipment.safeParse({
      shipmentId: fields.shipmentId,
      shippedOn: fields.shippedOn,
      units: fields.units.trim() === '' ? undefined : Number(fields.units),
      ...(fields.customerRef.trim() ? { customerRef: fields.customerRef } : {}),
      ...(fields.destination.trim() ? { destination: fields.destination } : {}),
    });
    const program = Slug.safeParse(fields.programId);
    setErrors({
      ...(shipment.success ? {} : errorsOf(shipment.error)),
      ...(program.success ? {} : { programId: program.error.issues[0]?.message ?? 'not valid' }),
    });
    if (!shipment.success || !program.success) return;
    void submit((idempotencyKey) =>
      api.POST('/v1/programs/{id}/shipments', {
        params: { path: { id: program.data }, header: { 'idempotency-key': idempotencyKey } },
        body: shipment.data,
      }),
    );
  };

  return (
    <form class="record" onSubmit={onSubmit} noValidate aria-labelledby="shipment-title">
      <h2 id="shipment-title">Record a shipment</h2>
      <ProgramField
        form={form}
        errors={errors}
        value={fields.programId}
        onInput={set('programId')}
        programIds={programIds}
      />
      <div class="row">
        <Field form={form} path="shipmentId" label="Shipment id" errors={errors}>
          {(props) => <input {...props} value={fields.shipmentId} onInput={set('shipmentId')} />}
        </Field>
        <Field form={form} path="shippedOn" label="Shipped on" errors={errors}>
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
      <Field form={form} path="customerRef" label="Customer reference (optional)" errors={errors}>
        {(props) => <input {...props} value={fields.customerRef} onInput={set('customerRef')} />}
      </Field>
      <Field form={form} path="destination" label="Destination (optional)" errors={errors}>
        {(props) => <input {...props} value={fields.destination} onInput={set('destination')} />}
      </Field>
      <OtherErrors
        errors={errors}
        shown={['programId', 'shipmentId', 'shippedOn', 'units', 'customerRef', 'destination']}
      />
      <p class="muted">Idempotency-Key of this submission: {key}</p>
      <button type="submit" class="primary" disabled={outcome.state === 'sending'}>
        Record the shipment
      </button>
      <OutcomeNote outcome={outcome} programId={fields.programId.trim().toLowerCase()} />
    </form>
  );
}
