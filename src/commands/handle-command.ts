import {
  futureDateRefusal,
  type ProgramCommand,
  programDecider,
  type SpecificationCommand,
  specificationDecider,
  specificationsNamedBy,
  streams,
  todayUtc,
  unregisteredSpecification,
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
    const refusal = unregisteredSpecification(
      command,
      await registeredAmong(store, specificationsNamedBy(command)),
    );
    if (refusal) throw refusal;
  },
});

/** A fact dated after the day it is recorded is refused (docs/design.md §5.7), nothing written. */
function refuseFutureDate(command: ProgramCommand | SpecificationCommand): void {
  const refusal = futureDateRefusal(command, todayUtc());
  if (refusal) throw refusal;
}

/** Which of the specifications `ids` the ledger holds. */
async function registeredAmong(store: EventStore, ids: readonly string[]): Promise<Set<string>> {
  const registered = new Set<string>();
  for (const id of ids) {
    const events = await store.readStream(streams.specification(id));
    if (events.some((e) => e.type === 'SpecificationRegistered')) registered.add(id);
  }
  return registered;
}
