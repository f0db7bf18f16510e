/**
 * ObjectStore on any S3 API (AWS S3, MinIO, LocalStack, Ceph). A put is a streamed multipart
 * upload (lib-storage): memory stays at a few parts whatever the file's size, and S3 makes the
 * object visible only when the upload completes, so a reader never sees half an object. A get
 * streams the body. Keys go through the same `assertObjectKey` rule as the local store, under
 * an optional prefix so one bucket can serve several deployments.
 */
import { asOutageOf, DependencyUnavailable } from '../../shared/dependency';
import { Transform, type Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { assertObjectKey, ObjectNotFoundError, type ObjectInfo, type ObjectStore } from '../../ports/object-store';

export interface S3ObjectStoreOptions {
  bucket: string;
  /** A custom endpoint (MinIO, LocalStack, Ceph, s3rver); absent for AWS. */
  endpoint?: string;
  region?: string;
  /** `http://endpoint/bucket/key` instead of `http://bucket.endpoint/key` (MinIO and most emulators need it). */
  forcePathStyle?: boolean;
  /** Prepended to every key (e.g. `oms/`); keys come back without it. */
  prefix?: string;
  /** Credentials; absent: the SDK's default chain (environment, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Multipart part size; S3's minimum is 5 MiB. */
  partSizeBytes?: number;
}

const isMissing = (error: unknown) =>
  error instanceof S3ServiceException && (error.name === 'NoSuchKey' || error.name === 'NotFound' || error.$metadata.httpStatusCode === 404);

export class S3ObjectStore implements ObjectStore {
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;

  constructor(options: S3ObjectStoreOptions) {
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region ?? 'us-east-1',
      forcePathStyle: options.forcePathStyle ?? false,
      credentials: options.credentials,
      // Checksums only where S3 requires them: the SDK's default trailing checksums on streamed
      // bodies are not understood by every S3-compatible server (s3rver stores them corrupted).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    this.partSize = Math.max(options.partSizeBytes ?? 8 * 1024 * 1024, 5 * 1024 * 1024);
  }

  private name(key: string): string {
    return this.prefix + assertObjectKey(key);
  }

  async put(key: string, body: Readable | Buffer | string): Promise<ObjectInfo> {
    const Key = this.name(key);
    let size = 0;
    let sourceError: unknown;
    let counted: Buffer | Transform;
    if (typeof body === 'string' || Buffer.isBuffer(body)) {
      counted = Buffer.from(body);
      size = counted.length;
    } else {
      // Counted as the bytes pass, so the answer needs no extra HEAD round trip.
      counted = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          size += chunk.length;
          done(null, chunk);
        },
      });
      body.once('error', (error) => {
        sourceError = error;
        (counted as Transform).destroy(error);
      });
      body.pipe(counted);
    }
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key, Body: counted },
      partSize: this.partSize,
      queueSize: 2,
      // A failed multipart upload is aborted, so no parts are left behind to be billed.
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      // The reader's own failure is the cause, not the abort of the upload that follows it.
      throw sourceError ?? storeError(error);
    }
    return { key, size };
  }

  async get(key: string): Promise<Readable> {
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.name(key) }));
      return answer.Body as Readable;
    } catch (error) {
      if (isMissing(error)) throw new ObjectNotFoundError(key);
      throw storeError(error);
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const answer = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.name(key) }));
      return { key, size: answer.ContentLength ?? 0 };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw storeError(error);
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const found: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        if (object.Key) found.push({ key: object.Key.slice(this.prefix.length), size: object.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    // S3 answers 204 for a missing key too: idempotent as the port asks.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.name(key) }));
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

/** An S3 error that says the service is away (no connection, a 5xx) is the object store's outage; any other (a 4xx, missing credentials) stays what it is. */
function storeError(error: unknown): unknown {
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' && status >= 500 ? new DependencyUnavailable('object_store', error) : asOutageOf('object_store', error);
}
