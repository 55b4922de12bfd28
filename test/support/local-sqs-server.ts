import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { runInThisContext } from 'node:vm';

type LocalAwsSqs = typeof import('local-aws-sqs');

/**
 * Where local-aws-sqs 2.0.2 departs from Amazon SQS in ways that the queue contract (and any
 * worker) notices, and the one-line correction of each in its bundled source. Each `find` must
 * occur exactly once, so an upgrade of the server fails loudly here instead of testing against
 * an uncorrected copy.
 */
const CORRECTIONS: ReadonlyArray<{ why: string; find: string; replace: string }> = [
  {
    why:
      'ChangeMessageVisibility is not a receive: SQS leaves ApproximateReceiveCount alone (the server ' +
      'counted it, so a visibility heartbeat sent messages to the dead-letter queue)',
    find: 'let n=Number(t.record.attributes.ApproximateReceiveCount)+1;',
    replace: 'let n=Number(t.record.attributes.ApproximateReceiveCount)+(i?0:1);',
  },
  {
    why:
      'A long poll returns as soon as messages are available, with up to MaxNumberOfMessages (the ' +
      'server waited for MaxNumberOfMessages or the whole wait time)',
    find: 'c=setInterval(()=>{d++;for(let y of S(this,E))',
    replace:
      'c=setInterval(()=>{d++;if(r.length>0){clearInterval(c),clearTimeout(n),o();return}for(let y of S(this,E))',
  },
  {
    why:
      'ChangeMessageVisibility refuses a handle whose delivery is over (MessageNotInflight) on standard ' +
      'queues too (the server checked only FIFO queues)',
    find: 'if(this.FifoQueue&&(!r||r.visible||t!=r.record.ReceiptHandle))',
    replace: 'if(!r||r.visible||t!=r.record.ReceiptHandle)',
  },
  {
    why:
      'ApproximateNumberOfMessages counts messages available for retrieval, not those in flight (the ' +
      'server counted both)',
    find: 'ApproximateNumberOfMessages:String(S(this,E).filter(o=>!o.delayed).length)',
    replace: 'ApproximateNumberOfMessages:String(S(this,E).filter(o=>!o.delayed&&o.visible).length)',
  },
];

let corrected: LocalAwsSqs | undefined;

/** local-aws-sqs, loaded from its own bundle with {@link CORRECTIONS} applied (node_modules is left as is). */
function correctedLocalAwsSqs(): LocalAwsSqs {
  if (corrected) return corrected;
  const file = require.resolve('local-aws-sqs');
  let source = readFileSync(file, 'utf8');
  for (const { why, find, replace } of CORRECTIONS) {
    const occurrences = source.split(find).length - 1;
    if (occurrences !== 1) {
      throw new Error(
        `local-aws-sqs changed: expected "${find}" once (${why}), found it ${occurrences} times`,
      );
    }
    source = source.replace(find, () => replace);
  }
  const module = { exports: {} as LocalAwsSqs };
  const wrapped = runInThisContext(
    `(function (exports, require, module, __filename, __dirname) {${source}\n})`,
    {
      filename: file,
    },
  ) as (...args: unknown[]) => void;
  wrapped(module.exports, createRequire(file), module, file, dirname(file));
  corrected = module.exports;
  return corrected;
}

/** An SQS-compatible server on a free loopback port, speaking the JSON protocol of SDK v3. */
export interface LocalSqsServer {
  /** `http://<address>:<port>`, for `endpoint` or `AWS_ENDPOINT_URL_SQS`. */
  endpoint: string;
  /** Requests it has answered, by action (`SendMessage`, `ReceiveMessage`, ...). */
  requests: Map<string, number>;
  stop(): Promise<void>;
}

/**
 * Starts local-aws-sqs, corrected to SQS's documented behaviour (see {@link CORRECTIONS}), in this
 * process, on a free port of `address` (default 127.0.0.1). It checks no credentials.
 */
export async function startLocalSqsServer(address = '127.0.0.1'): Promise<LocalSqsServer> {
  const server: Server = await correctedLocalAwsSqs().createSqsServer({ port: 0, hostname: address });
  const requests = new Map<string, number>();
  server.prependListener('request', (request) => {
    const target = request.headers['x-amz-target'];
    const action = typeof target === 'string' ? target.split('.').pop() : undefined;
    if (action) requests.set(action, (requests.get(action) ?? 0) + 1);
  });
  return {
    endpoint: `http://${address}:${(server.address() as AddressInfo).port}`,
    requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
