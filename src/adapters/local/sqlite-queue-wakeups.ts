import { closeSync, FSWatcher, openSync, utimesSync, watch } from 'node:fs';
import { resolve } from 'node:path';

type Listener = () => void;

// Process-wide, so that a send on one connection wakes long polls on every other connection of this
// process to the same queue. Other processes' sends reach them through a doorbell file (see
// ringDoorbell).
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

/** The file whose touch tells other processes that a queue of `file` has new messages. */
const doorbellOf = (file: string, queueName: string) => `${resolve(file)}.${queueName}.wake`;

/**
 * Tells the other processes' long polls on the queue that messages became visible: touches the
 * queue's doorbell file, which they watch. Called after the commit, so that a poll woken by it
 * finds the messages (a watch on the database's own log would fire before the commit is visible).
 */
export function ringDoorbell(file: string, queueName: string): void {
  const now = new Date();
  try {
    utimesSync(doorbellOf(file, queueName), now, now);
  } catch {
    // Nobody watches yet, or the file is gone: the long polls poll.
  }
}

const watchers = new Map<string, { watcher?: FSWatcher; users: number }>();

/**
 * Wakes this process's long polls on the queue whenever another process rings its doorbell
 * ({@link ringDoorbell}): the kernel (inotify) says so within a fraction of a millisecond, where
 * polling the file would take up to its interval, and it costs nothing while nobody sends.
 * Polling stays as the safety net (messages whose delay or visibility timeout ends, a file system
 * without change notifications). One watch per queue per process; returns the release.
 */
export function watchDoorbell(file: string, queueName: string): () => void {
  const path = doorbellOf(file, queueName);
  let entry = watchers.get(path);
  if (!entry) {
    watchers.set(path, (entry = { users: 0 }));
    try {
      closeSync(openSync(path, 'a'));
      const key = wakeKey(file, queueName);
      entry.watcher = watch(path, { persistent: false }, () => wakeQueue(key));
      entry.watcher.on('error', () => entry!.watcher?.close());
    } catch {
      // No notifications here: the long polls poll.
    }
  }
  entry.users++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--entry.users > 0) return;
    entry.watcher?.close();
    watchers.delete(path);
  };
}
