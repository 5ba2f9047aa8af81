import { answer, api, type Role } from '../api';
import { CheckForm } from '../forms/check-form';
import { NoticeForm } from '../forms/notice-form';
import { ShipmentForm } from '../forms/shipment-form';
import { TdpReleaseForm } from '../forms/tdp-form';
import { useAnswer } from '../use-answer';

export const mayRecord = (role: Role) => role === 'recorder' || role === 'admin';

/** The record forms, for recorder and admin keys only (the API refuses the others anyway). */
export function RecordPage({ role }: { role: Role }) {
  const programs = useAnswer(
    async () =>
      (await answer(api.GET('/v1/programs', { params: { query: { limit: 1000 } } }))).programs.map(
        (p) => p.programId,
      ),
    [],
  );
  if (!mayRecord(role))
    return (
      <section aria-labelledby="record-title">
        <h1 id="record-title">Record</h1>
        <p role="alert">A key with the {role} role may read the ledger but not record facts.</p>
      </section>
    );
  const programIds = programs.state === 'ready' ? programs.data : [];
  return (
    <section aria-labelledby="record-title">
      <h1 id="record-title">Record a letter, a shipment, a TDP release</h1>
      <CheckForm programIds={programIds} />
      <NoticeForm programIds={programIds} />
      <TdpReleaseForm />
      <ShipmentForm programIds={programIds} />
    </section>
  );
}
