import { ChildProcess } from 'node:child_process';

const running = new Set<ChildProcess>();

/** Remembers a child process so that a failing test cannot leave it running (and jest waiting). */
export function track<T extends ChildProcess>(child: T): T {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Kills every tracked child still running; their own children see their parent go and stop. */
export function killTracked(): void {
  running.forEach((child) => child.kill('SIGKILL'));
  running.clear();
}
