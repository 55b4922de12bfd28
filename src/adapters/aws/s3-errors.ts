import { ServiceError } from '../../common/errors';
import { ObjectNotFoundError } from '../../object-store/object-store.errors';

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
      `S3 bucket '${bucket}': ${operation} ${JSON.stringify(key)} failed: ${describe(options.cause)}`,
      options,
    );
  }
}

/** S3's error code: the SDK error's `name` (`NoSuchKey`, `NotFound`, `AccessDenied`, ...). */
function errorCode(error: unknown): string | undefined {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : undefined;
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = errorCode(error);
  return code && code !== 'Error' && !message.includes(code) ? `${code}: ${message}` : message;
}

/** There is no object under the key (GetObject says `NoSuchKey`; HeadObject, bodiless, `NotFound`). */
export function isMissingObject(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'NoSuchKey' || code === 'NotFound';
}

/** Maps an SDK error to the port's errors: a missing object, or a backend failure with context. */
export function toObjectStoreError(bucket: string, operation: string, key: string, error: unknown): Error {
  if (error instanceof ServiceError) return error;
  if (isMissingObject(error)) return new ObjectNotFoundError(key, { cause: error });
  return new ObjectStoreBackendError(bucket, operation, key, { cause: error });
}
