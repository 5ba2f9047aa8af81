import { RetractionReason } from '../../../src/domain/commands.ts';
import { api } from '../api';
import { CommandForm, judge, type Typed } from './command-form';

/**
 * Retracts one event of the trail with its reason: the event stays in the history, the
 * retraction is a new event that names it (docs/design.md §3, `EventRetracted`).
 */
export function RetractionForm({
  eventId,
  position,
  onRecorded,
}: {
  eventId: string;
  position: number;
  onRecorded: () => void;
}) {
  return (
    <CommandForm
      form={`retract-${position}`}
      title={`Retract event ${position}`}
      heading="h3"
      inputs={[{ path: 'reason', label: 'Reason for the retraction', type: 'textarea' }]}
      read={(t: Typed) => judge(RetractionReason.safeParse({ reason: t.reason ?? '' }))}
      send={({ body }, key) =>
        api.POST('/v1/events/{eventId}/retractions', {
          params: { path: { eventId }, header: { 'idempotency-key': key } },
          body,
        })
      }
      submitLabel="Record the retraction"
      onRecorded={onRecorded}
    />
  );
}
