import type { ProgramCommand } from './commands.ts';
import { type DomainError, refuse } from './errors.ts';
import type { Fact } from './events.ts';

/**
 * The specifications a program depends on beyond its own events: those whose TDP public release
 * its notices' sunset terms wait for. Read from notices recorded (facts) or about to be
 * (commands); every other letter names none. The one rule the command check, the program-facts
 * index and the status's retractions read.
 */
export function specificationsAwaited(letters: readonly (Fact | ProgramCommand)[]): string[] {
  const named = new Set<string>();
  for (const letter of letters) {
    if (letter.type !== 'NoticeReceived' && letter.type !== 'RecordNotice') continue;
    for (const term of letter.data.terms)
      if (term.kind === 'sunset-after-trigger') named.add(term.trigger.specificationId);
  }
  return [...named];
}

/**
 * The specifications a program command names: the one a program is registered against, and
 * those its notice waits for. Each must be registered first, or a typo would keep a program
 * "authorized, pending" for ever.
 */
export function specificationsNamedBy(command: ProgramCommand): string[] {
  if (command.type === 'RegisterProgram') return [command.data.specificationId];
  return specificationsAwaited([command]);
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
