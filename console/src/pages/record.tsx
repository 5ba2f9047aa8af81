import { answer, api, type Role } from '../api';
import { CheckForm } from '../forms/check-form';
import { LicenseApplicationForm, LicenseDecisionForm } from '../forms/license-forms';
import { NoticeForm } from '../forms/notice-form';
import { ProgramForm, SpecificationForm } from '../forms/register-forms';
import { ShipmentForm } from '../forms/shipment-form';
import { TdpReleaseForm } from '../forms/tdp-form';
import { useAnswer } from '../use-answer';

export const mayRecord = (role: Role) => role === 'recorder' || role === 'admin';

/** The record forms, for recorder and admin keys only (the API refuses the others anyway). */
export function RecordPage({ role }: { role: Role }) {
  const programs = useAnswer(
    async () =>
      (await answer(api.GET('/v1/programs', { params: { query: { limit: 1000 } } }))).programs,
    [],
  );
  if (!mayRecord(role))
    return (
      <section aria-labelledby="record-title">
        <h1 id="record-title">Record</h1>
        <p role="alert">A key with the {role} role may read the ledger but not record facts.</p>
      </section>
    );
  const known = programs.state === 'ready' ? programs.data : [];
  const programIds = known.map((p) => p.programId);
  const programChoices = known.map((p) => ({
    value: p.programId,
    title: p.description ?? `${p.supplierId}, ${p.specificationId}`,
  }));
  const specifications = [
    ...new Map(known.map((p) => [p.specificationId, p.specificationTitle])).entries(),
  ].map(([value, title]) => ({ value, title }));
  return (
    <section aria-labelledby="record-title">
      <h1 id="record-title">Record what happened</h1>
      <CheckForm programIds={programIds} />
      <NoticeForm programIds={programIds} />
      <TdpReleaseForm />
      <ShipmentForm programIds={programIds} />
      <LicenseApplicationForm programs={programChoices} />
      <LicenseDecisionForm programs={programChoices} />
      <SpecificationForm />
      <ProgramForm specifications={specifications} />
    </section>
  );
}
