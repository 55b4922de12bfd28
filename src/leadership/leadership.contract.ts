import { Leadership } from '../ports/leadership.port';

/** What a contract run needs: a control plane's leadership, on a log it leads (the first on it). */
export interface LeadershipFixture {
  createLeader(): Promise<Leadership>;
}

/** The behaviour every {@link Leadership} adapter must show. Written once, run against each adapter. */
export function describeLeadershipContract(adapterName: string, fixture: LeadershipFixture): void {
  describe(`Leadership contract: ${adapterName}`, () => {
    let leadership: Leadership;
    beforeEach(async () => {
      leadership = await fixture.createLeader();
    });
    afterEach(() => leadership.release());

    it('leads the log it is the first on, and runs a duty given then in the same call', async () => {
      expect(leadership.leading).toBe(true);
      const ran: string[] = [];
      const done = leadership.whenLeading(() => void ran.push('go live'));
      expect(ran).toEqual(['go live']);
      await done;
    });

    it('runs a duty given while another is under way after it, in the order given', async () => {
      const ran: string[] = [];
      let finishFirst!: () => void;
      const first = leadership.whenLeading(async () => {
        ran.push('first began');
        await new Promise<void>((resolve) => (finishFirst = resolve));
        ran.push('first ended');
      });
      const second = leadership.whenLeading(() => void ran.push('second'));
      expect(ran).toEqual(['first began']);
      finishFirst();
      await Promise.all([first, second]);
      expect(ran).toEqual(['first began', 'first ended', 'second']);
    });

    it("rejects a failed duty's own call, and still runs the next", async () => {
      const failed = leadership.whenLeading(() => {
        throw new Error('no handlers');
      });
      const ran: string[] = [];
      const next = leadership.whenLeading(() => void ran.push('next'));
      await expect(failed).rejects.toThrow('no handlers');
      await next;
      expect(ran).toEqual(['next']);
    });
  });
}
