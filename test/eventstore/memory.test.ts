import { createMemoryEventStore } from '../../src/eventstore/memory.ts';
import { describeEventStoreContract } from './contract.ts';

describeEventStoreContract('memory', async () => {
  const store = createMemoryEventStore();
  return { store, cleanup: () => store.close() };
});
