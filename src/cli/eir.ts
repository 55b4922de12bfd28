import { parseArgs } from 'node:util';
import { classifyFiles, describe, summarise, toCsv } from './classify';
import { imageFiles } from './image-files';
import { progressFor } from './progress';
import { ServiceAnswerError, ServiceClient } from './service-client';

const USAGE = `Usage:
  eir classify <files or folders...> [--json | --csv] [--concurrency N]
  eir status <jobId>
  eir fleet

Options:
  --url URL          the service (env EIR_URL, default http://localhost:3000)
  --key KEY          an API key (env EIR_API_KEY)
  --concurrency N    files uploaded and waited for at once (default 4)
  --json, --csv      print the results on stdout as JSON or CSV, not as lines

classify uploads each image (a folder's images, recursively), waits for its label, shows a
progress bar on a terminal (plain lines otherwise) and ends with a summary. Run again after an
interruption, it takes up where it stopped: a file uploaded before gets the job it created then.
It exits 1 when a file got no label.`;

/** The command line, run: resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      url: { type: 'string', default: process.env.EIR_URL ?? 'http://localhost:3000' },
      key: { type: 'string', default: process.env.EIR_API_KEY },
      concurrency: { type: 'string', default: '4' },
      json: { type: 'boolean', default: false },
      csv: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...args] = positionals;
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined && !values.help ? 2 : 0;
  }
  const client = new ServiceClient({ url: values.url, key: values.key });
  const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  switch (command) {
    case 'classify': {
      const concurrency = Number(values.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
        throw new UsageError('--concurrency must be a whole number from 1 to 64');
      if (args.length === 0) throw new UsageError('classify needs files or folders');
      const files = await imageFiles(args);
      if (files.length === 0) throw new UsageError(`no images in ${args.join(', ')}`);
      const began = performance.now();
      const results = await classifyFiles(
        client,
        files,
        { concurrency },
        progressFor(process.stderr, files.length),
      );
      const seconds = (performance.now() - began) / 1000;
      if (values.json) print(results);
      else if (values.csv) process.stdout.write(toCsv(results));
      else process.stdout.write(results.map((r) => `${describe(r, true)}\n`).join(''));
      process.stderr.write(`${summarise(results, seconds)}\n`);
      return results.every((r) => r.label !== undefined) ? 0 : 1;
    }
    case 'status':
      if (args.length !== 1) throw new UsageError('status needs one job id');
      print(await client.job(args[0]));
      return 0;
    case 'fleet':
      print(await client.fleet());
      return 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/** A command line that cannot be run as given: exit code 2, with the usage. */
class UsageError extends Error {}

/** Runs the command line and sets the exit code: 2 for a command line that cannot be run, 1 for a failure. */
export function run(argv: readonly string[]): void {
  main(argv).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
        process.stderr.write(`eir: ${(error as Error).message}\n\n${USAGE}\n`);
        process.exitCode = 2;
        return;
      }
      const reason =
        error instanceof ServiceAnswerError
          ? `${error.httpStatus} ${error.code}: ${error.message}`
          : (error as Error).message;
      process.stderr.write(`eir: ${reason}\n`);
      process.exitCode = 1;
    },
  );
}

if (require.main === module) run(process.argv.slice(2));
