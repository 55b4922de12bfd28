import { Logger } from '@nestjs/common';
import type { JOB_EFFECTS } from '../../state-machines/job.machine';
import { JOB } from '../actors/actor-kinds';
import { EffectHandlers } from '../actors/effect-handlers';
import { JobRequest, objectKeys } from '../pipeline/messages';
import { Queue } from '../ports/queue.port';
import { cleanFileName } from './file-name';

/** What the job's effects act on. */
export interface JobEffectPorts {
  /** The request queue the workers take jobs from. */
  requests: Pick<Queue, 'send'>;
  /** Default: a Nest `Logger` ('JobEffects'). */
  logger?: Pick<Logger, 'log' | 'warn'>;
}

/**
 * The job machine's effects over the ports. Run again after a crash, `enqueueJob` sends a second
 * message (the job's first result wins; a machine ignores any later one) and `reportResult`
 * finds the job reported already. Waiting clients learn outcomes from the jobs' changes
 * (`JobOutcomes`), not here: on a shared log, the client may wait on another control plane.
 */
export function jobEffects({
  requests,
  logger = new Logger('JobEffects'),
}: JobEffectPorts): EffectHandlers<typeof JOB_EFFECTS> {
  return {
    enqueueJob: async ({ jobId, fileName, contentType, alone }, { host }) => {
      const request: JobRequest = {
        v: 1,
        jobId,
        inputKey: objectKeys.input(jobId),
        // Cleaned again: jobs recorded before names were cleaned at the door may still be waiting.
        fileName: cleanFileName(fileName),
        contentType,
        ...(alone && { alone }),
      };
      const messageId = await requests.send(JSON.stringify(request));
      await host.dispatch(JOB.streamId(jobId), { type: 'JobQueued', messageId });
    },
    reportResult: async ({ jobId, label }, { host }) => {
      const { accepted } = await host.dispatch(JOB.streamId(jobId), { type: 'JobReported' });
      if (accepted) logger.log({ msg: 'job reported', jobId, label });
    },
    reportFailure: ({ jobId, status, reason }) => {
      logger.warn({ msg: `job ${status}`, jobId, reason });
    },
  };
}
