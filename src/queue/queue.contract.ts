import { describeCountsAndRedrive } from './contract/counts-and-redrive.contract';
import { describeLimitsAndClose } from './contract/limits-and-close.contract';
import { describeLongPoll } from './contract/long-poll.contract';
import { QueueContractSettings, QueueUnderTest } from './contract/queue-under-test';
import { describeReceiptHandles } from './contract/receipt-handles.contract';
import { describeSendAndReceive } from './contract/send-receive.contract';
import { describeVisibility } from './contract/visibility.contract';

export type { QueueContractSettings, QueueUnderTest } from './contract/queue-under-test';

/** Creates a fresh, empty queue and dead-letter queue configured with `settings`. */
export type QueueFactory = (settings: QueueContractSettings) => Promise<QueueUnderTest>;

/** What every backend is configured with for the contract. */
export const QUEUE_CONTRACT_SETTINGS: QueueContractSettings = {
  visibilityTimeoutMs: 30_000,
  maxReceiveCount: 2,
};

/**
 * The behaviour every Queue adapter must show, written once and run against each. It runs
 * on the wall clock with short real timeouts (whole seconds, as SQS counts them) and polls with
 * deadlines, so that real backends and SQS-compatible servers can run it too. About 25 s.
 */
export function describeQueueContract(adapterName: string, factory: QueueFactory): void {
  describe(`Queue contract: ${adapterName}`, () => {
    let current: QueueUnderTest | undefined;

    beforeEach(async () => {
      current = await factory(QUEUE_CONTRACT_SETTINGS);
    });
    afterEach(async () => {
      await current?.cleanup();
      current = undefined;
    });

    const subject = (): QueueUnderTest => {
      if (!current) throw new Error('The queue under test exists only inside a test');
      return current;
    };

    describeSendAndReceive(subject);
    describeLongPoll(subject);
    describeVisibility(subject);
    describeReceiptHandles(subject);
    describeCountsAndRedrive(subject);
    describeLimitsAndClose(subject);
  });
}
