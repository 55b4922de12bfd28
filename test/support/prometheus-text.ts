/** One sample line of Prometheus' text exposition format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL_PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the sample lines of a scrape; throws on a line that is neither a sample, a comment nor blank. */
export function parseMetrics(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = SAMPLE_LINE.exec(line);
      if (!match) throw new Error(`Not a Prometheus sample line: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, key, value] of (match[2] ?? '').matchAll(LABEL_PAIR)) labels[key] = value;
      return { name: match[1], labels, value: Number(match[3]) };
    });
}

/**
 * The value of the one sample named `name` whose labels include `labels`; throws when there is
 * none or more than one, so a missing series fails a test instead of reading as 0.
 */
export function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value),
  );
  if (found.length !== 1) {
    throw new Error(`Expected one sample ${name}${JSON.stringify(labels)}, found ${found.length}`);
  }
  return found[0].value;
}

/** The `# TYPE` a scrape declares for `name`, if any. */
export function metricType(text: string, name: string): string | undefined {
  return new RegExp(`^# TYPE ${name} (\\w+)$`, 'm').exec(text)?.[1];
}
