import {
  futureDateRefusal,
  type ProgramCommand,
  programDecider,
  refuse,
  type SpecificationCommand,
  specificationDecider,
  specificationsNamedBy,
  streams,
  todayUtc,
} from '../domain/index.ts';
import type { EventStore } from '../eventstore/port.ts';
import { type CommandHandler, commandHandler } from './command-handler.ts';

export const handleSpecificationCommand: CommandHandler<SpecificationCommand> = commandHandler({
  decider: specificationDecider,
  streamOf: streams.specification,
  precondition: async (_store, command) => refuseFutureDate(command),
});

export const handleProgramCommand: CommandHandler<ProgramCommand> = commandHandler({
  decider: programDecider,
  streamOf: streams.program,
  precondition: async (store, command) => {
    refuseFutureDate(command);
    await requireRegistered(store, specificationsNamedBy(command));
  },
});

/** A fact dated after the day it is recorded is refused (docs/design.md §5.7), nothing written. */
function refuseFutureDate(command: ProgramCommand | SpecificationCommand): void {
  const refusal = futureDateRefusal(command, todayUtc());
  if (refusal) throw refusal;
}

/**
 * Refuses a program command naming a specification the ledger does not hold. A specification
 * is never removed once registered, so checking before deciding cannot go stale.
 */
async function requireRegistered(store: EventStore, specificationIds: string[]): Promise<void> {
  for (const id of specificationIds) {
    const events = await store.readStream(streams.specification(id));
    if (!events.some((e) => e.type === 'SpecificationRegistered'))
      throw refuse(
        'unknown-specification',
        `specification ${id} is not registered; register it before naming it`,
      );
  }
}
