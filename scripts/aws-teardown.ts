/**
 * `npm run aws:teardown -- --yes`: deletes the SQS queues and the S3 bucket (with every object in it)
 * that the environment names. Refuses without `--yes` (exit 2). See docs/deploy-aws.md.
 */
import { runTeardownCommand } from '../src/deploy/deploy-commands';

runTeardownCommand(process.argv.slice(2), process.env).then(
  (code) => (process.exitCode = code),
  (error: Error) => {
    console.error(error.message);
    process.exitCode = 1;
  },
);
