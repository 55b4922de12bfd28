import { Leadership } from '../../src/ports/leadership.port';

/** A lead the test hands out: a follower until {@link grant}, as if the leader before it had died. */
export class GrantedLeadership extends Leadership {
  /** Takes the lead; resolves once every duty given so far has run. */
  grant(): Promise<void> {
    return this.takeLead();
  }

  async release(): Promise<void> {}
}
