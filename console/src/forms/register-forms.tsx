import { RegisterProgram, RegisterSpecification } from '../../../src/domain/commands.ts';
import { Channel } from '../../../src/domain/events.ts';
import { api } from '../api';
import { CommandForm, type Input, judge, type Typed } from './command-form';

const optional = (text: string | undefined) => (text?.trim() ? text : undefined);

/** A specification, registered before any program may name it. */
export function SpecificationForm() {
  const inputs: Input[] = [
    { path: 'specificationId', label: 'Specification id', hint: 'e.g. usps-b-1118f' },
    { path: 'title', label: 'Title' },
    { path: 'regulator', label: 'Regulator' },
    { path: 'supersedes', label: 'Supersedes (a specification id; optional)' },
  ];
  return (
    <CommandForm
      form="specification"
      title="Register a specification"
      inputs={inputs}
      read={(t: Typed) =>
        judge(
          RegisterSpecification.safeParse({
            specificationId: t.specificationId ?? '',
            title: t.title ?? '',
            regulator: t.regulator ?? '',
            supersedes: optional(t.supersedes),
          }),
        )
      }
      send={({ body }, key) =>
        api.POST('/v1/specifications', { params: { header: { 'idempotency-key': key } }, body })
      }
      submitLabel="Register the specification"
    />
  );
}

/** A supply program: a supplier's supply of one specification through one channel. */
export function ProgramForm({
  specifications,
}: {
  specifications: readonly { value: string; title?: string }[];
}) {
  const inputs: Input[] = [
    { path: 'programId', label: 'Program id', hint: 'e.g. acme-usps-b-1118f' },
    { path: 'supplierId', label: 'Supplier id' },
    { path: 'specificationId', label: 'Specification', suggestions: specifications },
    { path: 'channel', label: 'Channel', type: 'select', options: Channel.options },
    { path: 'regulator', label: 'Regulator' },
    { path: 'description', label: 'Description (optional)', type: 'textarea' },
  ];
  return (
    <CommandForm
      form="program"
      title="Register a program"
      inputs={inputs}
      initial={{ channel: 'private-market' }}
      read={(t: Typed) =>
        judge(
          RegisterProgram.safeParse({
            programId: t.programId ?? '',
            supplierId: t.supplierId ?? '',
            specificationId: t.specificationId ?? '',
            channel: t.channel,
            regulator: t.regulator ?? '',
            description: optional(t.description),
          }),
        )
      }
      send={({ body }, key) =>
        api.POST('/v1/programs', { params: { header: { 'idempotency-key': key } }, body })
      }
      submitLabel="Register the program"
      programId={(t) => t.programId ?? ''}
    />
  );
}
