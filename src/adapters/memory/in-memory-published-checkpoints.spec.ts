import { describePublishedCheckpointsContract } from '../../checkpoint/published-checkpoints.contract';
import { InMemoryPublishedCheckpoints } from './in-memory-published-checkpoints';

describePublishedCheckpointsContract('in memory', { create: async () => new InMemoryPublishedCheckpoints() });
