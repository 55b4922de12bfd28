import { ServiceError } from '../../common/errors';
import { ObjectNotFoundError } from '../../object-store/object-store.errors';
import { awsErrorCode, describeAwsError } from './aws-errors';

/** S3 failed (unreachable, access denied, missing bucket, ...); `cause` holds the SDK error. */
export class ObjectStoreBackendError extends ServiceError {
  readonly code = 'object_store_backend_failed';
  readonly httpStatus = 503;

  constructor(
    readonly bucket: string,
    readonly operation: string,
    readonly key: string,
    options: { cause: unknown },
  ) {
    super(
      `S3 bucket '${bucket}': ${operation} ${JSON.stringify(key)} failed: ${describeAwsError(options.cause)}`,
      options,
    );
  }
}

/** There is no object under the key (GetObject says `NoSuchKey`; HeadObject, bodiless, `NotFound`). */
export function isMissingObject(error: unknown): boolean {
  const code = awsErrorCode(error);
  return code === 'NoSuchKey' || code === 'NotFound';
}

/** Maps an SDK error to the port's errors: a missing object, or a backend failure with context. */
export function toObjectStoreError(bucket: string, operation: string, key: string, error: unknown): Error {
  if (error instanceof ServiceError) return error;
  if (isMissingObject(error)) return new ObjectNotFoundError(key, { cause: error });
  return new ObjectStoreBackendError(bucket, operation, key, { cause: error });
}
