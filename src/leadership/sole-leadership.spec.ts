import { SoleLeadership } from '../ports/leadership.port';
import { describeLeadershipContract } from './leadership.contract';

describeLeadershipContract('sole (one control plane per log)', {
  createLeader: async () => new SoleLeadership(),
});
