import {
  type ProgramCommand,
  programDecider,
  type SpecificationCommand,
  specificationDecider,
  specificationsNamedBy,
  streams,
  unregisteredSpecification,
} from '../domain/index.ts';
import type { EventStore } from '../eventstore/port.ts';
import { type CommandHandler, commandHandler } from './command-handler.ts';

export const handleSpecificationCommand: CommandHandler<SpecificationCommand> = commandHandler({
  decider: specificationDecider,
  streamOf: streams.specification,
});

export const handleProgramCommand: CommandHandler<ProgramCommand> = commandHandler({
  decider: programDecider,
  streamOf: streams.program,
  precondition: async (store, command) => {
    const refusal = unregisteredSpecification(
      command,
      await registeredAmong(store, specificationsNamedBy(command)),
    );
    if (refusal) throw refusal;
  },
});

/** Which of the specifications `ids` the ledger holds. */
async function registeredAmong(store: EventStore, ids: readonly string[]): Promise<Set<string>> {
  const registered = new Set<string>();
  for (const id of ids) {
    const events = await store.readStream(streams.specification(id));
    if (events.some((e) => e.type === 'SpecificationRegistered')) registered.add(id);
  }
  return registered;
}
