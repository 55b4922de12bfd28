import { resolve } from 'node:path';

type Listener = () => void;

// Process-wide, so that a send on one connection wakes long polls on every other connection of this
// process to the same queue. Other processes are not told; their long polls find messages by polling.
const listeners = new Map<string, Set<Listener>>();

/** Identifies a queue within this process: the file's absolute path and the queue's name. */
export function wakeKey(file: string, queueName: string): string {
  return `${resolve(file)}\u0000${queueName}`;
}

/** Calls `listener` whenever {@link wakeQueue} is called with `key`; returns the unsubscribe. */
export function onQueueWake(key: string, listener: Listener): () => void {
  let set = listeners.get(key);
  if (!set) listeners.set(key, (set = new Set()));
  set.add(listener);
  return () => {
    set.delete(listener);
    if (set.size === 0 && listeners.get(key) === set) listeners.delete(key);
  };
}

/** Tells this process's long polls on the queue that messages may have become visible. */
export function wakeQueue(key: string): void {
  for (const listener of [...(listeners.get(key) ?? [])]) listener();
}
