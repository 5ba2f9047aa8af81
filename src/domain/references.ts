import type { ProgramCommand } from './commands.ts';
import { type DomainError, refuse } from './errors.ts';

/**
 * The specifications a program command names: the one a program is registered against, and
 * those whose TDP release a notice's sunset waits for. Each must be registered first, or a typo
 * would keep a program "authorized, pending" for ever.
 */
export function specificationsNamedBy(command: ProgramCommand): string[] {
  if (command.type === 'RegisterProgram') return [command.data.specificationId];
  if (command.type !== 'RecordNotice') return [];
  const named = new Set<string>();
  for (const term of command.data.terms)
    if (term.kind === 'sunset-after-trigger') named.add(term.trigger.specificationId);
  return [...named];
}

/**
 * The refusal of a program command naming a specification the ledger does not hold, or null:
 * `registered` tells which ids are registered. A specification is never removed once
 * registered, so checking before deciding cannot go stale.
 */
export function unregisteredSpecification(
  command: ProgramCommand,
  registered: ReadonlySet<string>,
): DomainError | null {
  const missing = specificationsNamedBy(command).find((id) => !registered.has(id));
  return missing === undefined
    ? null
    : refuse(
        'unknown-specification',
        `specification ${missing} is not registered; register it before naming it`,
      );
}
