/** DI tokens of the three queues; each is a {@link Queue}. */
export const REQUEST_QUEUE = Symbol('RequestQueue');
export const RESPONSE_QUEUE = Symbol('ResponseQueue');
export const DEAD_LETTER_QUEUE = Symbol('DeadLetterQueue');

/** Queue names, the same in every backend. */
export const QUEUE_NAMES = {
  requests: 'requests',
  responses: 'responses',
  deadLetter: 'requests-dead-letter',
} as const;

/** How long a received job stays hidden before another worker may take it; workers extend it while they work. */
export const REQUEST_VISIBILITY_TIMEOUT_MS = 30_000;
