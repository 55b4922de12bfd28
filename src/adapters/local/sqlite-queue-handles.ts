import { randomUUID } from 'node:crypto';

const PREFIX = 'sq1';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// The queue's name is part of the handle so that a handle of another queue in the same file is
// recognised as foreign (invalid) rather than reported as expired.
function queueTag(queueName: string): string {
  return Buffer.from(queueName, 'utf8').toString('base64url');
}

/** A new receipt handle, unique across processes. */
export function newReceiptHandle(queueName: string): string {
  return `${PREFIX}.${queueTag(queueName)}.${randomUUID()}`;
}

/** Whether `receiptHandle` has the shape of a handle that this queue issues. */
export function isReceiptHandleOf(queueName: string, receiptHandle: string): boolean {
  if (typeof receiptHandle !== 'string') return false;
  const [prefix, tag, nonce, ...rest] = receiptHandle.split('.');
  return (
    prefix === PREFIX &&
    tag === queueTag(queueName) &&
    nonce !== undefined &&
    UUID.test(nonce) &&
    !rest.length
  );
}
