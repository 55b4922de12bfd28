import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { recordCalls } from '../../../test/fixtures/aws-sdk-calls';
import { LocalS3Server, S3RVER_CREDENTIALS, startLocalS3Server } from '../../../test/support/local-s3-server';
import { ObjectNotFoundError } from '../../object-store/object-store.errors';
import { ObjectStore } from '../../ports/object-store.port';
import { ObjectStoreBackendError } from './s3-errors';
import { MIN_PART_BYTES } from './s3-parts';
import { S3ObjectStore } from './s3-object-store';

const BUCKET = 'contract-bucket';

let server: LocalS3Server;
let client: S3Client;
const clients: S3Client[] = [];

/** A real S3 client for the local server; s3rver serves path-style URLs and checks its credentials. */
function newClient(): S3Client {
  const created = new S3Client({
    region: 'us-east-1',
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
  });
  clients.push(created);
  return created;
}

beforeAll(async () => {
  server = await startLocalS3Server();
  client = newClient();
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  clients.forEach((each) => each.destroy());
  await server.stop();
});

describe('S3ObjectStore on s3rver', () => {
  const prefix = () => `adapter-${randomBytes(6).toString('hex')}/`;

  /** A store on its own client, with every command it sends recorded. */
  function recordedStore(options: { partBytes?: number; listPageSize?: number } = {}) {
    const recorded = newClient();
    const calls = recordCalls(recorded);
    const store = new S3ObjectStore({ client: recorded, bucket: BUCKET, ...options });
    return { store, calls, commands: () => calls.map((call) => call.command) };
  }

  it('sends a stream longer than one part as a multipart upload, bytes and content type intact', async () => {
    const { store, commands } = recordedStore({ partBytes: MIN_PART_BYTES });
    const key = `${prefix()}large.bin`;
    const bytes = randomBytes(2 * MIN_PART_BYTES + 12_345);
    const chunks = Array.from({ length: Math.ceil(bytes.length / 65_536) }, (_, i) =>
      bytes.subarray(i * 65_536, (i + 1) * 65_536),
    );

    await store.put(key, Readable.from(chunks), { contentType: 'image/tiff' });

    expect(commands()).toEqual([
      'CreateMultipartUploadCommand',
      'UploadPartCommand',
      'UploadPartCommand',
      'UploadPartCommand',
      'CompleteMultipartUploadCommand',
    ]);
    expect((await store.get(key)).equals(bytes)).toBe(true);
    expect(await store.head(key)).toMatchObject({ size: bytes.length, contentType: 'image/tiff' });
    await store.delete(key);
  });

  it('sends a stream of at most one part in a single PutObject', async () => {
    const { store, calls, commands } = recordedStore({ partBytes: MIN_PART_BYTES });
    const key = `${prefix()}one-part.bin`;
    const bytes = randomBytes(MIN_PART_BYTES);

    await store.put(key, Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]));

    expect(commands()).toEqual(['PutObjectCommand']);
    expect(calls[0].input).toMatchObject({
      Bucket: BUCKET,
      Key: key,
      ContentType: 'application/octet-stream',
    });
    expect((await store.get(key)).equals(bytes)).toBe(true);
    await store.delete(key);
  });

  it('aborts the multipart upload when the body fails midway; s3rver refuses the abort, so both failures are reported', async () => {
    const { store, commands } = recordedStore({ partBytes: MIN_PART_BYTES });
    const key = `${prefix()}broken.bin`;
    const body = new PassThrough();
    const putting = store.put(key, body);
    body.write(randomBytes(2 * MIN_PART_BYTES + 1));
    await pollUntil(() => commands().filter((command) => command === 'UploadPartCommand').length === 2);

    body.destroy(new Error('client went away'));

    const error = await putting.catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(ObjectStoreBackendError);
    const { errors } = (error as ObjectStoreBackendError).cause as AggregateError;
    expect(errors.map((each: Error) => each.message)).toEqual(['client went away', expect.any(String)]);
    expect(errors[1]).toMatchObject({ name: 'MethodNotAllowed' });
    expect(commands()).toEqual([
      'CreateMultipartUploadCommand',
      'UploadPartCommand',
      'UploadPartCommand',
      'AbortMultipartUploadCommand',
    ]);
    expect(await store.head(key)).toBeNull();
  });

  it('rejects with the body’s own error once the multipart upload is aborted (S3 answered by a stub)', async () => {
    // s3rver implements no AbortMultipartUpload, so S3's answers are stubbed for this path only.
    const stubbed = newClient();
    const s3 = mockClient(stubbed);
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-1' });
    s3.on(UploadPartCommand).resolves({ ETag: '"etag"' });
    s3.on(AbortMultipartUploadCommand).resolves({});
    const store = new S3ObjectStore({ client: stubbed, bucket: BUCKET, partBytes: MIN_PART_BYTES });
    const body = new PassThrough();
    const putting = store.put('stubbed/broken.bin', body);
    body.write(randomBytes(2 * MIN_PART_BYTES + 1));
    await pollUntil(() => s3.commandCalls(UploadPartCommand).length === 2);

    body.destroy(new Error('client went away'));

    await expect(putting).rejects.toThrow(new Error('client went away'));
    expect(s3.commandCalls(AbortMultipartUploadCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: BUCKET, Key: 'stubbed/broken.bin', UploadId: 'upload-1' },
    ]);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
  });

  it('rejects with the body’s error when a stream fails before it is read, without crashing', async () => {
    const { store, commands } = recordedStore();
    const body = new PassThrough();
    const putting = store.put(`${prefix()}early`, body);
    body.destroy(new Error('failed at once'));

    await expect(putting).rejects.toThrow('failed at once');
    expect(commands()).toEqual([]);
  });

  it('pages through a listing with ListObjectsV2 continuation tokens', async () => {
    const { store, calls } = recordedStore({ listPageSize: 2 });
    const base = prefix();
    const keys = ['k0', 'k1', 'k2', 'k3', 'k4'].map((name) => base + name);
    for (const key of keys) await store.put(key, Buffer.from(key));
    calls.length = 0;

    const listed = await store.listAll(base);

    expect(listed).toEqual(keys);
    const pages = calls.filter((call) => call.command === 'ListObjectsV2Command');
    expect(pages.map((page) => page.input.ContinuationToken === undefined)).toEqual([true, false, false]);
    expect(pages.every((page) => page.input.MaxKeys === 2 && page.input.Prefix === base)).toBe(true);
    for (const key of keys) await store.delete(key);
  });

  it('wraps a missing bucket in ObjectStoreBackendError naming the bucket, operation and S3 code', async () => {
    const store = new S3ObjectStore({ client, bucket: 'no-such-bucket' });

    const error = await store.get('some/key').catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(ObjectStoreBackendError);
    expect(error).not.toBeInstanceOf(ObjectNotFoundError);
    expect(error).toMatchObject({
      code: 'object_store_backend_failed',
      httpStatus: 503,
      bucket: 'no-such-bucket',
    });
    expect((error as Error).message).toMatch(/no-such-bucket.*get "some\/key".*NoSuchBucket/);
  });

  it('refuses a part size below S3’s 5 MiB minimum', () => {
    expect(() => new S3ObjectStore({ client, bucket: BUCKET, partBytes: MIN_PART_BYTES - 1 })).toThrow(
      RangeError,
    );
  });

  it('serves as the ObjectStore token type', () => {
    expect(new S3ObjectStore({ client, bucket: BUCKET })).toBeInstanceOf(ObjectStore);
  });
});

async function pollUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
