import { start } from './fold';
import { jobMachine, JobInput, MAX_RELEASES } from './job.machine';
import { given } from './testing/given';
import { withoutTimers } from './timers';

const uploaded: JobInput = {
  jobId: 'j1',
  fileName: 'cat.jpg',
  contentType: 'image/jpeg',
  sizeBytes: 1234,
  at: 1000,
};
const queued = { type: 'JobQueued', messageId: 'm1', at: 1100 };
const attempt = (n: number, workerId = 'w1') => ({
  type: 'JobAttemptStarted',
  workerId,
  attempt: n,
  at: 1200 + n,
});
const failedAttempt = (reason = 'worker crashed') => ({
  type: 'JobAttemptFailed',
  workerId: 'w1',
  reason,
  at: 1300,
});
const top5 = [
  { label: 'tabby', probability: 0.8 },
  { label: 'tiger cat', probability: 0.1 },
];
const classified = { type: 'JobClassified', workerId: 'w1', label: 'tabby', top5, at: 1400 };
const reported = { type: 'JobReported', at: 1500 };

describe('job machine', () => {
  describe('when a job is uploaded', () => {
    it('starts in uploaded and asks for the job to be enqueued', () => {
      const { snapshot, effects } = start(jobMachine, uploaded);
      expect(snapshot.value).toBe('uploaded');
      expect(snapshot.context).toMatchObject({
        jobId: 'j1',
        fileName: 'cat.jpg',
        attempts: 0,
        maxAttempts: 3,
        uploadedAt: 1000,
      });
      expect(withoutTimers(effects)).toEqual([
        {
          type: 'enqueueJob',
          params: { jobId: 'j1', fileName: 'cat.jpg', contentType: 'image/jpeg', alone: false },
        },
      ]);
    });
  });

  describe('the happy path', () => {
    it('uploaded → queued on JobQueued, recording the message id', () => {
      const then = given(jobMachine, uploaded).when(queued);
      expect(then.snapshot.value).toBe('queued');
      expect(then.snapshot.context).toMatchObject({ messageId: 'm1', queuedAt: 1100 });
      expect(withoutTimers(then.effects)).toEqual([]);
    });

    it('counts attempts as workers receive the job', () => {
      const then = given(jobMachine, uploaded, queued, attempt(1)).when(attempt(2, 'w2'));
      expect(then.snapshot.value).toBe('queued');
      expect(then.snapshot.context).toMatchObject({ attempts: 2, workerId: 'w2' });
    });

    it('queued → classified on JobClassified, asking for the result to be reported', () => {
      const then = given(jobMachine, uploaded, queued, attempt(1)).when(classified);
      expect(then.snapshot.value).toBe('classified');
      expect(then.snapshot.context).toMatchObject({ label: 'tabby', top5, classifiedAt: 1400 });
      expect(withoutTimers(then.effects)).toEqual([
        { type: 'reportResult', params: { jobId: 'j1', label: 'tabby', top5 } },
      ]);
    });

    it('classified → reported on JobReported, and the job is done', () => {
      const then = given(jobMachine, uploaded, queued, classified).when(reported);
      expect(then.snapshot.value).toBe('reported');
      expect(then.snapshot.status).toBe('done');
      expect(then.snapshot.context).toMatchObject({ reportedAt: 1500, endedAt: 1500 });
    });
  });

  describe('at-least-once delivery', () => {
    it('accepts a result that overtakes the queue acknowledgement (uploaded → classified)', () => {
      const then = given(jobMachine, uploaded, attempt(1)).when(classified);
      expect(then.snapshot.value).toBe('classified');
    });

    it('ignores a late JobQueued once classified', () => {
      const then = given(jobMachine, uploaded, classified).when(queued);
      expect(then.changed).toBe(false);
      expect(then.snapshot.value).toBe('classified');
    });

    it('ignores a duplicate JobClassified while classified: no new effect', () => {
      const then = given(jobMachine, uploaded, queued, classified).when({
        ...classified,
        label: 'other',
        at: 1450,
      });
      expect(then.changed).toBe(false);
      expect(withoutTimers(then.effects)).toEqual([]);
      expect(then.snapshot.context.label).toBe('tabby');
    });

    it('ignores a duplicate JobClassified after reported: nothing changes', () => {
      const { snapshot, when } = given(jobMachine, uploaded, queued, classified, reported);
      const then = when({ ...classified, at: 1600 });
      expect(then.changed).toBe(false);
      expect(then.snapshot).toBe(snapshot);
      expect(withoutTimers(then.effects)).toEqual([]);
    });
  });

  describe('failures', () => {
    it('uploaded → rejected on JobRejected (bad input), reporting the reason', () => {
      const then = given(jobMachine, uploaded).when({
        type: 'JobRejected',
        reason: 'not an image',
        at: 1050,
      });
      expect(then.snapshot.value).toBe('rejected');
      expect(then.snapshot.status).toBe('done');
      expect(withoutTimers(then.effects)).toEqual([
        { type: 'reportFailure', params: { jobId: 'j1', status: 'rejected', reason: 'not an image' } },
      ]);
    });

    it('queued → rejected when a worker cannot decode the image', () => {
      const then = given(jobMachine, uploaded, queued, attempt(1)).when({
        type: 'JobRejected',
        reason: 'undecodable image',
        at: 1300,
      });
      expect(then.snapshot.value).toBe('rejected');
    });

    it('stays queued after a failed attempt while attempts remain, for the queue to redeliver', () => {
      const then = given(jobMachine, uploaded, queued, attempt(1)).when(failedAttempt());
      expect(then.snapshot.value).toBe('queued');
      expect(then.snapshot.context.error).toBe('worker crashed');
      expect(withoutTimers(then.effects)).toEqual([]);
    });

    it('queued → failed when the last attempt fails', () => {
      const then = given(
        jobMachine,
        { ...uploaded, maxAttempts: 2 },
        queued,
        attempt(1),
        failedAttempt(),
        attempt(2),
      ).when(failedAttempt('out of memory'));
      expect(then.snapshot.value).toBe('failed');
      expect(withoutTimers(then.effects)).toEqual([
        { type: 'reportFailure', params: { jobId: 'j1', status: 'failed', reason: 'out of memory' } },
      ]);
    });

    it('queued → failed when the message is dead-lettered', () => {
      const then = given(jobMachine, uploaded, queued).when({
        type: 'JobDeadLettered',
        reason: 'received 3 times',
        at: 2000,
      });
      expect(then.snapshot.value).toBe('failed');
      expect(then.snapshot.context).toMatchObject({ error: 'received 3 times', endedAt: 2000 });
    });

    it('uploaded → failed when the message is dead-lettered before its acknowledgement is recorded', () => {
      const then = given(jobMachine, uploaded, attempt(1)).when({
        type: 'JobDeadLettered',
        reason: 'received 3 times',
        at: 2000,
      });
      expect(then.snapshot.value).toBe('failed');
      expect(withoutTimers(then.effects)).toEqual([
        { type: 'reportFailure', params: { jobId: 'j1', status: 'failed', reason: 'received 3 times' } },
      ]);
    });

    it('ignores a result after the job failed', () => {
      const then = given(jobMachine, uploaded, queued, {
        type: 'JobDeadLettered',
        reason: 'x',
        at: 2000,
      }).when(classified);
      expect(then.changed).toBe(false);
      expect(then.snapshot.value).toBe('failed');
    });
  });

  describe('illegal events are ignored', () => {
    it.each([
      ['uploaded', 'JobReported', [], reported],
      ['queued', 'JobReported', [queued], reported],
      ['uploaded', 'JobAttemptFailed', [], failedAttempt()],
      [
        'reported',
        'JobRejected',
        [queued, classified, reported],
        { type: 'JobRejected', reason: 'late', at: 9 },
      ],
      ['reported', 'JobAttemptStarted', [queued, classified, reported], attempt(4)],
    ])('in %s, %s is ignored', (state, _type, history, event) => {
      const { snapshot, when } = given(jobMachine, uploaded, ...history);
      const then = when(event);
      expect(snapshot.value).toBe(state);
      expect(then.changed).toBe(false);
      expect(withoutTimers(then.effects)).toEqual([]);
    });
  });

  describe('deadlines: no job waits forever', () => {
    const deadline = { delayMs: 60_000, eventType: 'JobDeadlinePassed', timerId: 'deadline' };
    const passed = (at: number) => ({ type: 'JobDeadlinePassed', at });
    const withDeadline = { ...uploaded, deadlineMs: 60_000 };

    it('arms the deadline when uploaded and again when queued, and drops it once classified', () => {
      expect(start(jobMachine, withDeadline).effects).toContainEqual({
        type: 'startTimer',
        params: deadline,
      });
      const { snapshot, when } = given(jobMachine, withDeadline);
      const queuedStep = when(queued);
      expect(queuedStep.effects).toEqual([
        { type: 'cancelTimer', params: { timerId: 'deadline' } },
        { type: 'startTimer', params: deadline },
      ]);
      const done = given(jobMachine, withDeadline, queued).when(classified);
      expect(done.effects).toContainEqual({ type: 'cancelTimer', params: { timerId: 'deadline' } });
      expect(snapshot.context.deadlineMs).toBe(60_000);
    });

    it('restarts the deadline whenever an attempt starts: a job being worked on is not lost', () => {
      const then = given(jobMachine, withDeadline, queued).when(attempt(1));
      expect(then.effects).toEqual([{ type: 'startTimer', params: deadline }]);
    });

    it('queued past its deadline → uploaded: the job is enqueued again', () => {
      const then = given(jobMachine, withDeadline, queued).when(passed(61_100));
      expect(then.snapshot.value).toBe('uploaded');
      expect(then.snapshot.context.enqueues).toBe(2);
      expect(withoutTimers(then.effects)).toEqual([
        {
          type: 'enqueueJob',
          params: { jobId: 'j1', fileName: 'cat.jpg', contentType: 'image/jpeg', alone: false },
        },
      ]);
    });

    it('uploaded past its deadline (the queue never answered) → enqueued again', () => {
      const then = given(jobMachine, withDeadline).when(passed(61_000));
      expect(then.snapshot.value).toBe('uploaded');
      expect(then.snapshot.context.enqueues).toBe(2);
      expect(withoutTimers(then.effects).map((e) => e.type)).toEqual(['enqueueJob']);
    });

    it('fails with a reason once enqueued MAX_ATTEMPTS times without a result', () => {
      const then = given(
        jobMachine,
        { ...withDeadline, maxAttempts: 2 },
        queued,
        passed(61_100),
        queued,
      ).when(passed(122_000));
      expect(then.snapshot.value).toBe('failed');
      expect(then.snapshot.context.error).toMatch(/enqueued 2 times, each time waiting 60000 ms/);
    });
  });

  describe('effects that keep failing', () => {
    const effectFailed = (effect: string) => ({
      type: 'EffectFailed',
      effect,
      reason: 'queue unreachable',
      attempts: 5,
      at: 2000,
    });

    it('uploaded → failed when the job cannot be enqueued, with the reason', () => {
      const then = given(jobMachine, uploaded).when(effectFailed('enqueueJob'));
      expect(then.snapshot.value).toBe('failed');
      expect(then.snapshot.context.error).toBe('enqueueJob failed after 5 attempts: queue unreachable');
      expect(withoutTimers(then.effects)).toEqual([
        {
          type: 'reportFailure',
          params: {
            jobId: 'j1',
            status: 'failed',
            reason: 'enqueueJob failed after 5 attempts: queue unreachable',
          },
        },
      ]);
    });

    it('classified → failed when its result cannot be reported', () => {
      const then = given(jobMachine, uploaded, queued, classified).when(effectFailed('reportResult'));
      expect(then.snapshot.value).toBe('failed');
    });
  });

  describe('a worker lost while holding the job', () => {
    const released = (alone: boolean, at = 1500) => ({ type: 'JobReleased', workerId: 'w1', alone, at });

    it('stays queued while deliveries remain: its message is given back, nothing to enqueue', () => {
      const then = given(jobMachine, uploaded, queued, attempt(1)).when(released(false));
      expect(then.snapshot.value).toBe('queued');
      expect(then.snapshot.context).toMatchObject({ releases: 1, releasesAlone: 0 });
      expect(withoutTimers(then.effects)).toEqual([]);
    });

    it('queued → uploaded when the next delivery would be its last: a fresh message, classified alone', () => {
      const then = given(jobMachine, uploaded, queued, attempt(1), attempt(2)).when(released(true));
      expect(then.snapshot.value).toBe('uploaded');
      expect(then.snapshot.context).toMatchObject({
        releases: 1,
        releasesAlone: 1,
        attempts: 2,
        enqueues: 2,
      });
      expect(withoutTimers(then.effects)).toEqual([
        {
          type: 'enqueueJob',
          params: { jobId: 'j1', fileName: 'cat.jpg', contentType: 'image/jpeg', alone: true },
        },
      ]);
    });

    it('fails once its workers were lost MAX_ATTEMPTS times while it was alone in hand: a poison input', () => {
      const then = given(jobMachine, uploaded, queued, released(true), queued, released(true), queued).when(
        released(true),
      );
      expect(then.snapshot.value).toBe('failed');
      expect(then.snapshot.context.error).toBe(
        'its worker was lost 3 times while holding it (3 of them while classifying it alone): a poison input?',
      );
    });

    it('survives many losses among batch-mates, up to a bound', () => {
      const history = Array.from({ length: MAX_RELEASES - 1 }, () => [queued, released(false)]).flat();
      const { snapshot, when } = given(jobMachine, uploaded, ...history, queued);
      expect(snapshot.value).toBe('queued');
      expect(when(released(false)).snapshot.value).toBe('failed');
    });

    it('is ignored once the job has its result', () => {
      const then = given(jobMachine, uploaded, queued, classified).when(released(true));
      expect(then.changed).toBe(false);
    });
  });
});
