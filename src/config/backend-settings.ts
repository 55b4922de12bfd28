import type { AwsConfig } from './aws-config';

/** Which backend holds the queues and objects; the control plane and its workers name the same one. */
export type BackendSettings =
  { profile: 'local'; dataDir: string; maxAttempts: number } | { profile: 'aws'; aws: AwsConfig };
