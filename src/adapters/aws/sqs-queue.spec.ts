import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  MessageNotInflight,
  SendMessageBatchCommand,
  SQSClient,
  SQSServiceException,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { recordCalls } from '../../../test/fixtures/aws-sdk-calls';
import { LocalSqsServer, startLocalSqsServer } from '../../../test/support/local-sqs-server';
import { createSqsTestQueues, SqsTestQueues } from '../../../test/support/sqs-test-queues';
import { Queue } from '../../ports/queue.port';
import {
  InvalidReceiptHandleError,
  QueueBackendError,
  QueueClosedError,
  ReceiptHandleExpiredError,
} from '../../queue/queue.errors';
import { SqsQueue } from './sqs-queue';

let server: LocalSqsServer;
let endpoint: string;
let client: SQSClient;
const clients: SQSClient[] = [];

/** A real SQS client for the local server (which checks no credentials). */
function newClient(options: { endpoint?: string; maxAttempts?: number } = {}): SQSClient {
  const created = new SQSClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    ...options,
  });
  clients.push(created);
  return created;
}

beforeAll(async () => {
  server = await startLocalSqsServer();
  endpoint = server.endpoint;
  client = newClient();
});

afterAll(async () => {
  clients.forEach((each) => each.destroy());
  await server.stop();
});

describe('SqsQueue on local-aws-sqs', () => {
  const created: SqsTestQueues[] = [];
  const opened: Queue[] = [];

  async function freshQueue(queueClient = client, options: { visibilityTimeoutMs?: number } = {}) {
    const queues = await createSqsTestQueues(queueClient, {
      maxReceiveCount: 3,
      visibilityTimeoutMs: 45_000,
    });
    created.push(queues);
    const queue = new SqsQueue({ client: queueClient, queueUrl: queues.queueUrl, ...options });
    opened.push(queue);
    return { queue, ...queues };
  }

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((queue) => queue.close()));
    await Promise.all(created.splice(0).map((queues) => queues.remove()));
  });

  it('rounds delay, wait and visibility up to whole seconds, and asks for the receive count and sent time', async () => {
    const recorded = newClient();
    const calls = recordCalls(recorded);
    const { queue, queueUrl } = await freshQueue(recorded);
    calls.length = 0;

    await queue.send('later', { delayMs: 1001 });
    await queue.receive({ waitTimeMs: 1, visibilityTimeoutMs: 2500, maxMessages: 4 });
    await queue.receive();

    const [send, receive, receiveWithDefaults] = calls;
    expect(send).toEqual({
      command: 'SendMessageCommand',
      input: { QueueUrl: queueUrl, MessageBody: 'later', DelaySeconds: 2 },
    });
    expect(receive.input).toMatchObject({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 4,
      WaitTimeSeconds: 1,
      VisibilityTimeout: 3,
      MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      AttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
    });
    // Without a visibility timeout from the call or the adapter, the queue's own attribute applies.
    expect(receiveWithDefaults.input).toMatchObject({ MaxNumberOfMessages: 1, WaitTimeSeconds: 0 });
    expect(receiveWithDefaults.input.VisibilityTimeout).toBeUndefined();
  });

  it("sends the adapter's visibility timeout when a receive names none", async () => {
    const recorded = newClient();
    const calls = recordCalls(recorded);
    const { queue } = await freshQueue(recorded, { visibilityTimeoutMs: 10_000 });
    calls.length = 0;

    await queue.receive();

    expect(calls[0].input.VisibilityTimeout).toBe(10);
  });

  it('sends a batch in one SendMessageBatch call with entry ids that map the answers back to the bodies', async () => {
    const recorded = newClient();
    const calls = recordCalls(recorded);
    const { queue } = await freshQueue(recorded);
    calls.length = 0;

    const ids = await queue.sendBatch(['a', 'b', 'c'], { delayMs: 500 });

    expect(calls.map((call) => call.command)).toEqual(['SendMessageBatchCommand']);
    expect(calls[0].input.Entries).toEqual([
      { Id: '0', MessageBody: 'a', DelaySeconds: 1 },
      { Id: '1', MessageBody: 'b', DelaySeconds: 1 },
      { Id: '2', MessageBody: 'c', DelaySeconds: 1 },
    ]);
    expect(new Set(ids).size).toBe(3);
  });

  it('maps the three approximate counts from the queue attributes', async () => {
    const { queue } = await freshQueue();

    await queue.sendBatch(['a', 'b']);
    await queue.send('later', { delayMs: 60_000 });

    expect(await queue.approximateCounts()).toEqual({ visible: 2, inFlight: 0, delayed: 1 });
  });

  it('names itself after the last segment of its URL', async () => {
    const { queue, queueUrl } = await freshQueue();

    expect(queue.name).toBe(queueUrl.split('/').pop());
  });

  it('wraps a missing queue in QueueBackendError naming the queue, the operation and SQS’s code', async () => {
    const queue = new SqsQueue({ client, queueUrl: `${endpoint}/123456789012/no-such-queue` });
    opened.push(queue);

    const error = await queue.send('lost').catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(QueueBackendError);
    expect(error).toMatchObject({
      code: 'queue_backend_failed',
      queueName: 'no-such-queue',
      operation: 'send',
    });
    expect((error as Error).message).toMatch(
      /no-such-queue.*send failed.*(QueueDoesNotExist|NonExistentQueue)/,
    );
  });

  it('wraps an unreachable endpoint in QueueBackendError', async () => {
    const unreachable = newClient({ endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    const queue = new SqsQueue({ client: unreachable, queueUrl: 'http://127.0.0.1:9/123456789012/requests' });
    opened.push(queue);

    await expect(queue.receive()).rejects.toMatchObject({
      code: 'queue_backend_failed',
      operation: 'receive',
    });
  });

  it('close ends only this queue: the shared client keeps serving the others', async () => {
    const first = await freshQueue();
    const second = await freshQueue();

    await first.queue.close();

    await expect(first.queue.send('x')).rejects.toBeInstanceOf(QueueClosedError);
    await expect(second.queue.send('still open')).resolves.toEqual(expect.any(String));
  });
});

describe('SqsQueue with answers of Amazon SQS that local-aws-sqs never gives (stubbed SQS)', () => {
  const queueUrl = 'https://sqs.us-east-1.amazonaws.com/123456789012/requests';
  const invalidParameter = (message: string) =>
    Object.assign(
      new SQSServiceException({ name: 'InvalidParameterValue', $fault: 'client', $metadata: {}, message }),
      { Code: 'InvalidParameterValue' },
    );
  const notAvailable = invalidParameter(
    'Value AQEB for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.',
  );

  function stubbedQueue() {
    const stubbed = newClient();
    return { sqs: mockClient(stubbed), queue: new SqsQueue({ client: stubbed, queueUrl }) };
  }

  it('reports MessageNotInflight and "not available for visibility timeout change" as expired handles', async () => {
    const { sqs, queue } = stubbedQueue();
    sqs
      .on(ChangeMessageVisibilityCommand)
      .rejectsOnce(new MessageNotInflight({ $metadata: {}, message: 'The message is not in flight' }))
      .rejectsOnce(notAvailable);

    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(queue.changeVisibility('AQEB-handle', 0)).rejects.toBeInstanceOf(
        ReceiptHandleExpiredError,
      );
    }
  });

  it('resolves a delete whose handle SQS reports as expired', async () => {
    const { sqs, queue } = stubbedQueue();
    sqs
      .on(DeleteMessageCommand)
      .rejects(
        invalidParameter(
          'Value AQEB for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.',
        ),
      );

    await expect(queue.delete('AQEB-handle')).resolves.toBeUndefined();
  });

  it('does not take other invalid parameters for an expired handle', async () => {
    const { sqs, queue } = stubbedQueue();
    sqs
      .on(ChangeMessageVisibilityCommand)
      .rejects(invalidParameter('Value 99999 for parameter VisibilityTimeout is invalid.'));

    await expect(queue.changeVisibility('AQEB-handle', 1000)).rejects.toBeInstanceOf(QueueBackendError);
  });

  it('deleteBatch refuses a never-issued handle and ignores expired ones in the same batch', async () => {
    const { sqs, queue } = stubbedQueue();
    sqs.on(DeleteMessageBatchCommand).resolves({
      Successful: [{ Id: '0' }],
      Failed: [
        { Id: '1', Code: 'InvalidParameterValue', SenderFault: true, Message: notAvailable.message },
        {
          Id: '2',
          Code: 'ReceiptHandleIsInvalid',
          SenderFault: true,
          Message: 'The input receipt handle is invalid.',
        },
      ],
    });

    const error = await queue.deleteBatch(['ok', 'expired', 'bogus']).catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(InvalidReceiptHandleError);
    expect(error).toMatchObject({ receiptHandle: 'bogus' });
  });

  it('sends again the batch entries that failed for the server’s own reasons', async () => {
    const { sqs, queue } = stubbedQueue();
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [{ Id: '0', MessageId: 'm-0', MD5OfMessageBody: '' }],
        Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }],
      })
      .resolvesOnce({ Successful: [{ Id: '1', MessageId: 'm-1', MD5OfMessageBody: '' }], Failed: [] });

    expect(await queue.sendBatch(['a', 'b'])).toEqual(['m-0', 'm-1']);
    expect(sqs.commandCalls(SendMessageBatchCommand)[1].args[0].input.Entries).toEqual([
      { Id: '1', MessageBody: 'b', DelaySeconds: 0 },
    ]);
  });

  it('refuses a batch with entries SQS refused, saying how many were sent', async () => {
    const { sqs, queue } = stubbedQueue();
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [{ Id: '0', MessageId: 'm-0', MD5OfMessageBody: '' }],
      Failed: [{ Id: '1', Code: 'InvalidMessageContents', SenderFault: true, Message: 'bad' }],
    });

    await expect(queue.sendBatch(['a', 'b'])).rejects.toThrow(
      /1 of 2 failed \(1 sent\): entry 1: InvalidMessageContents bad/,
    );
  });
});
