/**
 * `npm run aws:provision`: creates or verifies the SQS queues (request, response, dead-letter) and
 * the S3 bucket that the environment names, with safe defaults. Idempotent. See docs/deploy-aws.md.
 * Exits 1 if the settings are invalid or AWS refused a call.
 */
import { runProvisionCommand } from '../src/deploy/deploy-commands';

runProvisionCommand(process.env).then(
  (code) => (process.exitCode = code),
  (error: Error) => {
    console.error(error.message);
    process.exitCode = 1;
  },
);
