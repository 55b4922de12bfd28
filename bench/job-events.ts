import { NewEvent } from '../src/ports/event-store.port';

/** The five events of job `jobId`'s happy path, as the pipeline writes them, from time `at`. */
export function happyPathEvents(jobId: string, at: number): NewEvent[] {
  const top5 = [
    { label: 'tabby', probability: 0.61 },
    { label: 'tiger cat', probability: 0.2 },
    { label: 'Egyptian cat', probability: 0.1 },
    { label: 'lynx', probability: 0.05 },
    { label: 'remote control', probability: 0.01 },
  ];
  return [
    {
      type: 'JobUploaded',
      data: { jobId, fileName: `${jobId}.jpg`, contentType: 'image/jpeg', sizeBytes: 51234, at },
    },
    { type: 'JobQueued', data: { messageId: `m-${jobId}`, at: at + 1 } },
    { type: 'JobAttemptStarted', data: { workerId: 'w1', attempt: 1, at: at + 2 } },
    { type: 'JobClassified', data: { workerId: 'w1', label: 'tabby', top5, at: at + 30 } },
    { type: 'JobReported', data: { at: at + 31 } },
  ];
}
