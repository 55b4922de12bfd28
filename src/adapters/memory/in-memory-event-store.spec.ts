import { describeEventStoreContract } from '../../events/event-store.contract';
import { InMemoryEventStore } from './in-memory-event-store';

describeEventStoreContract('in-memory', { create: async (clock) => new InMemoryEventStore(clock) });
