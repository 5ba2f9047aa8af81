import type { ProgramCommand } from './commands.ts';

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
