import {
  DecideLicenseApplication,
  SubmitLicenseApplication,
} from '../../../src/domain/commands.ts';
import { Slug } from '../../../src/domain/identifiers.ts';
import { api } from '../api';
import { CommandForm, type Input, judge, type Typed } from './command-form';

type Known = readonly { value: string; title?: string }[];

/** A license application the supplier submitted to the regulator, with its document. */
export function LicenseApplicationForm({ programs }: { programs: Known }) {
  const inputs: Input[] = [
    { path: 'programId', label: 'Program', suggestions: programs },
    { path: 'applicationId', label: 'Application id', hint: 'e.g. app-2007-08-01' },
    { path: 'submittedOn', label: 'Submitted on', type: 'date' },
    { path: 'documentRef', label: 'Document reference' },
    { path: 'documentSha256', label: "Document's SHA-256 (optional)" },
  ];
  return (
    <CommandForm
      form="application"
      title="Record a license application"
      inputs={inputs}
      read={(t: Typed) =>
        judge(
          SubmitLicenseApplication.safeParse({
            applicationId: t.applicationId ?? '',
            submittedOn: t.submittedOn ?? '',
            documentRef: t.documentRef ?? '',
            documentSha256: t.documentSha256?.trim() || undefined,
          }),
          { programId: Slug.safeParse(t.programId ?? '') },
        )
      }
      send={({ body, ids }, key) =>
        api.POST('/v1/programs/{id}/license-applications', {
          params: { path: { id: ids.programId ?? '' }, header: { 'idempotency-key': key } },
          body,
        })
      }
      submitLabel="Record the application"
      programId={(t) => t.programId ?? ''}
    />
  );
}

/** The regulator's decision on an application: approved or rejected, with its reasons. */
export function LicenseDecisionForm({ programs }: { programs: Known }) {
  const inputs: Input[] = [
    { path: 'programId', label: 'Program', suggestions: programs },
    { path: 'applicationId', label: 'Application id' },
    { path: 'decidedOn', label: 'Decided on', type: 'date' },
    { path: 'decision', label: 'Decision', type: 'select', options: ['approved', 'rejected'] },
    { path: 'reasons', label: 'Reasons (one per line)', type: 'textarea' },
    { path: 'resubmissionAllowed', label: 'Resubmission allowed', type: 'checkbox' },
  ];
  return (
    <CommandForm
      form="decision"
      title="Record a license decision"
      inputs={inputs}
      initial={{ decision: 'approved' }}
      read={(t: Typed) => {
        const reasons = (t.reasons ?? '').split('\n').filter((line) => line.trim() !== '');
        return judge(
          DecideLicenseApplication.safeParse({
            applicationId: t.applicationId ?? '',
            decidedOn: t.decidedOn ?? '',
            decision: t.decision,
            reasons,
            resubmissionAllowed: t.resubmissionAllowed === 'true',
          }),
          { programId: Slug.safeParse(t.programId ?? '') },
        );
      }}
      send={({ body, ids }, key) =>
        api.POST('/v1/programs/{id}/license-decisions', {
          params: { path: { id: ids.programId ?? '' }, header: { 'idempotency-key': key } },
          body,
        })
      }
      submitLabel="Record the decision"
      programId={(t) => t.programId ?? ''}
    />
  );
}
