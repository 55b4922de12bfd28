import {
  AbortMultipartUploadCommand,
  CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { assertValidObjectKey, assertValidObjectKeyPrefix } from '../../object-store/object-key';
import {
  DEFAULT_CONTENT_TYPE,
  ObjectInfo,
  ObjectStore,
  PutObjectOptions,
} from '../../ports/object-store.port';
import { isMissingObject, ObjectStoreBackendError, toObjectStoreError } from './s3-errors';
import { MAX_PART_BYTES, MAX_PARTS, MIN_PART_BYTES, readParts } from './s3-parts';

/** Options of {@link S3ObjectStore}. */
export interface S3ObjectStoreOptions {
  /** The SDK client, owned by the caller (which destroys it). Path-style for S3-compatible servers. */
  client: S3Client;
  /** The bucket that holds the objects; it must exist. */
  bucket: string;
  /**
   * A stream body up to this size is sent in one PutObject; a longer one is uploaded in parts of
   * this size, so that memory stays bounded (S3 needs every length up front). 5 MiB–5 GiB.
   * Default: 8 MiB.
   */
  partBytes?: number;
  /** Keys asked for per ListObjectsV2 page, 1–1000. Default: 1000. */
  listPageSize?: number;
}

/**
 * An {@link ObjectStore} in an Amazon S3 bucket. S3 makes each write atomic and, since 2020,
 * strongly consistent for reads and listings, so the port's guarantees are S3's own. Throttling and
 * network failures are retried by the SDK client as configured; what remains surfaces as
 * {@link ObjectStoreBackendError}.
 */
export class S3ObjectStore extends ObjectStore {
  readonly bucket: string;
  private readonly client: S3Client;
  private readonly partBytes: number;
  private readonly listPageSize: number;

  constructor(options: S3ObjectStoreOptions) {
    super();
    this.client = options.client;
    this.bucket = options.bucket;
    this.partBytes = options.partBytes ?? 8 * 1024 * 1024;
    this.listPageSize = options.listPageSize ?? 1000;
    if (!this.bucket) throw new RangeError('An S3 object store needs a bucket');
    checkInteger('partBytes', this.partBytes, MIN_PART_BYTES, MAX_PART_BYTES);
    checkInteger('listPageSize', this.listPageSize, 1, 1000);
  }

  async put(key: string, body: Buffer | Readable, options: PutObjectOptions = {}): Promise<void> {
    assertValidObjectKey(key);
    const contentType = options.contentType ?? DEFAULT_CONTENT_TYPE;
    if (Buffer.isBuffer(body)) return this.putOnce(key, body, contentType);
    // Reading starts at once, so that an error the stream emits meanwhile has a listener.
    const parts = readParts(body, this.partBytes);
    try {
      const first = await parts.next();
      if (first.done) return await this.putOnce(key, Buffer.alloc(0), contentType);
      const second = await parts.next();
      if (second.done) return await this.putOnce(key, first.value, contentType);
      await this.putInParts(key, contentType, prepend([first.value, second.value], parts));
    } finally {
      await parts.return(undefined);
    }
  }

  async get(key: string): Promise<Buffer> {
    const body = await this.getStream(key);
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of body) chunks.push(chunk as Buffer);
    } catch (error) {
      throw toObjectStoreError(this.bucket, 'get', key, error);
    }
    return Buffer.concat(chunks);
  }

  async getStream(key: string): Promise<Readable> {
    assertValidObjectKey(key);
    const { Body: body } = await this.call('get', key, () =>
      this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })),
    );
    if (!(body instanceof Readable)) {
      throw new ObjectStoreBackendError(this.bucket, 'get', key, {
        cause: new Error('the SDK returned no Node.js stream for the body'),
      });
    }
    return body;
  }

  async head(key: string): Promise<ObjectInfo | null> {
    assertValidObjectKey(key);
    try {
      const output = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return {
        size: output.ContentLength ?? 0,
        contentType: output.ContentType ?? DEFAULT_CONTENT_TYPE,
        lastModified: output.LastModified ?? new Date(0),
      };
    } catch (error) {
      if (isMissingObject(error)) return null;
      throw toObjectStoreError(this.bucket, 'head', key, error);
    }
  }

  async delete(key: string): Promise<void> {
    assertValidObjectKey(key);
    await this.call('delete', key, () =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })),
    );
  }

  async *list(prefix: string): AsyncIterable<string> {
    assertValidObjectKeyPrefix(prefix);
    let continuationToken: string | undefined;
    do {
      const page = await this.call('list', prefix, () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            MaxKeys: this.listPageSize,
            ContinuationToken: continuationToken,
          }),
        ),
      );
      for (const { Key: key } of page.Contents ?? []) if (key !== undefined) yield key;
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken);
  }

  private async putOnce(key: string, bytes: Buffer, contentType: string): Promise<void> {
    await this.call('put', key, () =>
      this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: bytes, ContentType: contentType }),
      ),
    );
  }

  /** A multipart upload, aborted if anything fails, so that no unfinished upload is left behind. */
  private async putInParts(key: string, contentType: string, parts: AsyncIterable<Buffer>): Promise<void> {
    const { UploadId: uploadId } = await this.call('put', key, () =>
      this.client.send(
        new CreateMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          ContentType: contentType,
          ChecksumAlgorithm: 'CRC32',
        }),
      ),
    );
    if (!uploadId) {
      throw new ObjectStoreBackendError(this.bucket, 'put', key, {
        cause: new Error('S3 returned no UploadId'),
      });
    }
    try {
      const completed: CompletedPart[] = [];
      for await (const part of parts) {
        const partNumber = completed.length + 1;
        if (partNumber > MAX_PARTS)
          throw new RangeError(`A body may have at most ${MAX_PARTS} parts of ${this.partBytes} bytes`);
        const uploaded = await this.call('put', key, () =>
          this.client.send(
            new UploadPartCommand({
              Bucket: this.bucket,
              Key: key,
              UploadId: uploadId,
              PartNumber: partNumber,
              Body: part,
              ChecksumAlgorithm: 'CRC32',
            }),
          ),
        );
        completed.push({
          PartNumber: partNumber,
          ETag: uploaded.ETag,
          ChecksumCRC32: uploaded.ChecksumCRC32,
        });
      }
      await this.call('put', key, () =>
        this.client.send(
          new CompleteMultipartUploadCommand({
            Bucket: this.bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: completed },
          }),
        ),
      );
    } catch (error) {
      await this.abortUpload(key, uploadId, error);
      throw error;
    }
  }

  private async abortUpload(key: string, uploadId: string, failure: unknown): Promise<void> {
    try {
      await this.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }),
      );
    } catch (abortError) {
      throw new ObjectStoreBackendError(this.bucket, 'put', key, {
        cause: new AggregateError(
          [failure, abortError],
          `the upload failed, and so did aborting it: upload ${uploadId} keeps its parts until a lifecycle rule removes them`,
        ),
      });
    }
  }

  /** Runs one SDK call, mapping its failure to the port's errors with the bucket, operation and key. */
  private async call<T>(operation: string, key: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw toObjectStoreError(this.bucket, operation, key, error);
    }
  }
}

async function* prepend<T>(first: T[], rest: AsyncIterator<T>): AsyncIterable<T> {
  yield* first;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}

function checkInteger(what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${what} must be an integer from ${min} to ${max}, got ${value}`);
  }
}
