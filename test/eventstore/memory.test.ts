import { openMemoryEventStore } from '../../src/eventstore/memory.ts';
import { describeEventStoreContract } from './contract.ts';

describeEventStoreContract('memory', async () => {
  const store = openMemoryEventStore();
  return { store, cleanup: () => store.close() };
});
