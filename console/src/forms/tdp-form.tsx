import { useState } from 'preact/hooks';
import { ReleaseTechnicalDataPackage } from '../../../src/domain/commands.ts';
import { Slug } from '../../../src/domain/identifiers.ts';
import { api } from '../api';
import { isoDateInput } from '../dates';
import { errorsOf, Field, type FieldErrors, OtherErrors } from './field';
import { OutcomeNote } from './outcome';
import { useSubmission } from './submission';

/** A specification's TDP release: what resolves a sunset-after-trigger term. */
export function TdpReleaseForm() {
  const [fields, setFields] = useState({ specificationId: '', releasedOn: '', documentRef: '' });
  const [publicRelease, setPublic] = useState(true);
  const [errors, setErrors] = useState<FieldErrors>({});
  const { key, outcome, submit } = useSubmission();
  const form = 'tdp';
  const set = (name: keyof typeof fields) => (event: Event) =>
    setFields({ ...fields, [name]: (event.currentTarget as HTMLInputElement).value });

  const onSubmit = (event: Event) => {
    event.preventDefault();
    const release = ReleaseTechnicalDataPackage.safeParse({
      releasedOn: fields.releasedOn,
      publicRelease,
      documentRef: fields.documentRef,
    });
    const specification = Slug.safeParse(fields.specificationId);
    setErrors({
      ...(release.success ? {} : errorsOf(release.error)),
      ...(specification.success
        ? {}
        : { specificationId: specification.error.issues[0]?.message ?? 'not valid' }),
    });
    if (!release.success || !specification.success) return;
    void submit((idempotencyKey) =>
      api.POST('/v1/specifications/{id}/tdp-releases', {
        params: {
          path: { id: specification.data },
          header: { 'idempotency-key': idempotencyKey },
        },
        body: release.data,
      }),
    );
  };

  return (
    <form class="record" onSubmit={onSubmit} noValidate aria-labelledby="tdp-title">
      <h2 id="tdp-title">Record a TDP release</h2>
      <div class="row">
        <Field form={form} path="specificationId" label="Specification" errors={errors}>
          {(props) => (
            <input {...props} value={fields.specificationId} onInput={set('specificationId')} />
          )}
        </Field>
        <Field form={form} path="releasedOn" label="Released on" errors={errors}>
          {(props) => (
            <input
              {...props}
              {...isoDateInput}
              value={fields.releasedOn}
              onInput={set('releasedOn')}
            />
          )}
        </Field>
      </div>
      <Field form={form} path="documentRef" label="Document reference" errors={errors}>
        {(props) => <input {...props} value={fields.documentRef} onInput={set('documentRef')} />}
      </Field>
      <label class="check">
        <input
          type="checkbox"
          checked={publicRelease}
          onChange={(e) => setPublic((e.currentTarget as HTMLInputElement).checked)}
        />
        A public release (only a public release resolves a sunset-after-trigger term)
      </label>
      <OtherErrors errors={errors} shown={['specificationId', 'releasedOn', 'documentRef']} />
      <p class="muted">Idempotency-Key of this submission: {key}</p>
      <button type="submit" class="primary" disabled={outcome.state === 'sending'}>
        Record the TDP release
      </button>
      <OutcomeNote outcome={outcome} />
    </form>
  );
}
