import { Presets, SingleBar } from 'cli-progress';

/** How a run shows its progress: a bar on a terminal, a line per file otherwise. */
export interface Progress {
  /** One file is done: `line` says how it ended. */
  tick(line: string): void;
  stop(): void;
}

/**
 * A progress bar with rate and ETA on `stream` when it is a terminal; otherwise one plain line
 * per finished file (`3/40 cat.jpg: tabby`), which logs and pipes read well.
 */
export function progressFor(stream: NodeJS.WriteStream, total: number): Progress {
  let done = 0;
  if (!stream.isTTY) {
    return {
      tick: (line) => stream.write(`${++done}/${total} ${line}\n`),
      stop: () => undefined,
    };
  }
  const began = Date.now();
  const bar = new SingleBar(
    {
      stream,
      format: 'classifying [{bar}] {value}/{total} | {rate} images/s | ETA {eta_formatted}',
      etaBuffer: 20,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  const rate = () => (done / Math.max((Date.now() - began) / 1000, 0.001)).toFixed(1);
  bar.start(total, 0, { rate: '0.0' });
  return {
    tick: () => bar.update(++done, { rate: rate() }),
    stop: () => bar.stop(),
  };
}
