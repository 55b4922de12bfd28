/**
 * `npx nest build && node dist/scripts/aws-render-policies.js --out DIR`: writes the IAM documents of
 * deploy/iam/ into DIR with their placeholders filled in from the environment: AWS_REGION, S3_BUCKET
 * and the SQS_*_QUEUE names (as for the app), AWS_ACCOUNT_ID (required) and WORKER_ROLE_NAME
 * (default eir-worker). See docs/deploy-aws.md. Exits 1 on a missing or invalid value.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { loadAwsConfig } from '../src/config/aws-config';
import { policyValues, renderPolicy } from '../src/deploy/iam-policy-renderer';
import { findRepoRoot } from '../src/models/model-sources';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  if (!values.out) {
    console.error('Usage: node dist/scripts/aws-render-policies.js --out DIR');
    return 2;
  }
  const placeholders = policyValues(loadAwsConfig(process.env), process.env);
  const templates = path.join(findRepoRoot(__dirname), 'deploy', 'iam');
  await mkdir(values.out, { recursive: true });
  for (const file of (await readdir(templates)).filter((name) => name.endsWith('.json')).sort()) {
    const rendered = renderPolicy(await readFile(path.join(templates, file), 'utf8'), placeholders);
    const target = path.join(values.out, file);
    await writeFile(target, rendered);
    console.log(target);
  }
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (error: Error) => {
    console.error(error.message);
    process.exitCode = 1;
  },
);
