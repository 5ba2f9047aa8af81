import { EndProgram } from '../../../src/domain/commands.ts';
import { api } from '../api';
import { CommandForm, judge, type Typed } from './command-form';

/** The supplier ended the program: from that date on no shipment is authorized. */
export function EndProgramForm({
  programId,
  onRecorded,
}: {
  programId: string;
  onRecorded: () => void;
}) {
  return (
    <CommandForm
      form="end"
      title="End this program"
      heading="h3"
      inputs={[
        { path: 'endedOn', label: 'Ended on (first day not authorized)', type: 'date' },
        { path: 'reason', label: 'Reason', type: 'textarea' },
      ]}
      read={(t: Typed) =>
        judge(EndProgram.safeParse({ endedOn: t.endedOn ?? '', reason: t.reason ?? '' }))
      }
      send={({ body }, key) =>
        api.POST('/v1/programs/{id}/end', {
          params: { path: { id: programId }, header: { 'idempotency-key': key } },
          body,
        })
      }
      submitLabel="Record the end"
      onRecorded={onRecorded}
    />
  );
}
