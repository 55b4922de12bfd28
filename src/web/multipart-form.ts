import busboy from 'busboy';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { ServiceError } from '../common/errors';
import type { UploadedFile } from '../jobs/uploaded-file';
import type { UploadStorage } from './upload-storage';

/** The multipart body is malformed, or breaks one of the bounds on a request. */
export class BadMultipartError extends ServiceError {
  readonly code = 'bad_request';
  readonly httpStatus = 400;
}

/** A file is larger than the upload limit (MAX_UPLOAD_BYTES): refused before the rest of it is held. */
export class FileTooLargeError extends ServiceError {
  readonly code = 'payload_too_large';
  readonly httpStatus = 413;
}

/** Bounds on one multipart request (see `AppConfig.multipart`) and the largest file it may carry. */
export interface MultipartLimits {
  fileBytes: number;
  files: number;
  parts: number;
  fields: number;
  fieldBytes: number;
  headerPairs: number;
}

/** What {@link readMultipartForm} reads. */
export interface MultipartFormOptions {
  /** The field the files come in; a file in any other is refused. */
  fileField: string;
  /** Most files in `fileField`, on top of `limits.files`: 1 for a route that takes one. */
  maxFiles: number;
  limits: MultipartLimits;
  /** Where the files' bytes wait; the caller releases them (`UploadStorage.releaseAll`) when done. */
  storage: UploadStorage;
}

/** A multipart request as read: its files in the order they came, and its text fields. */
export interface MultipartForm {
  files: UploadedFile[];
  /** Each text field's value; a field sent twice, its values in order. */
  fields: Record<string, string | string[]>;
}

const FORM_TYPE = /^multipart\/form-data\b/i;

/**
 * Reads a `multipart/form-data` request with busboy: the files of `fileField` go to `storage` as
 * they arrive, the text fields are collected. A request of another type has neither. On a broken
 * bound or a malformed body it rejects with {@link BadMultipartError} or {@link FileTooLargeError},
 * naming the bound, after letting go of what it stored; the rest of the body is read and dropped,
 * so that the connection can carry the answer and the next request.
 */
export function readMultipartForm(
  request: IncomingMessage,
  { fileField, maxFiles, limits, storage }: MultipartFormOptions,
): Promise<MultipartForm> {
  if (!FORM_TYPE.test(request.headers['content-type'] ?? '')) {
    return Promise.resolve({ files: [], fields: {} });
  }
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: request.headers,
        limits: {
          fileSize: limits.fileBytes,
          files: limits.files,
          parts: limits.parts,
          fields: limits.fields,
          fieldSize: limits.fieldBytes,
          headerPairs: limits.headerPairs,
        },
      });
    } catch (error) {
      reject(new BadMultipartError(`The multipart body cannot be read: ${(error as Error).message}`));
      return;
    }
    const stored: Array<Promise<UploadedFile>> = [];
    const arriving = new Set<Readable>();
    const fields: Record<string, string | string[]> = {};
    let failed = false;

    const fail = (error: ServiceError) => {
      if (failed) return;
      failed = true;
      request.unpipe(parser);
      request.resume();
      // Their parser reads no more: ended here, they give their bytes back (see UploadStorage.store).
      for (const stream of arriving) stream.destroy(error);
      void Promise.allSettled(stored).then((outcomes) => {
        storage.releaseAll(
          outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : [])),
        );
        reject(error);
      });
    };
    const skip = (stream: Readable) => stream.resume();

    parser.on('file', (name, stream, { filename }) => {
      if (failed) return skip(stream);
      if (name !== fileField) {
        skip(stream);
        return fail(new BadMultipartError(`Unexpected field "${name}": files go in field "${fileField}"`));
      }
      if (stored.length >= maxFiles) {
        skip(stream);
        return fail(new BadMultipartError(`Too many files: this route takes ${maxFiles} in "${fileField}"`));
      }
      stream.once('limit', () =>
        fail(
          new FileTooLargeError(
            `File too large: "${filename}" is over the limit of ${limits.fileBytes} bytes (MAX_UPLOAD_BYTES)`,
          ),
        ),
      );
      arriving.add(stream);
      stream.once('close', () => arriving.delete(stream));
      const file = storage.store(stream).then((held) => ({ ...held, originalname: filename ?? '' }));
      // A failed file fails the request below; this keeps its rejection from going unhandled meanwhile.
      file.catch(() => undefined);
      stored.push(file);
    });
    parser.on('field', (name, value, { nameTruncated, valueTruncated }) => {
      if (nameTruncated) return fail(new BadMultipartError(`Field name too long: "${name}…"`));
      if (valueTruncated) {
        return fail(
          new BadMultipartError(
            `Field value too long: "${name}" is over ${limits.fieldBytes} bytes (MAX_FIELD_BYTES)`,
          ),
        );
      }
      const earlier = fields[name];
      fields[name] = earlier === undefined ? value : [earlier, value].flat();
    });
    parser.on('filesLimit', () =>
      fail(
        new BadMultipartError(`Too many files: at most ${limits.files} per request (MAX_FILES_PER_REQUEST)`),
      ),
    );
    parser.on('fieldsLimit', () =>
      fail(
        new BadMultipartError(`Too many fields: at most ${limits.fields} per request (MAX_MULTIPART_FIELDS)`),
      ),
    );
    parser.on('partsLimit', () =>
      fail(
        new BadMultipartError(`Too many parts: at most ${limits.parts} per request (MAX_MULTIPART_PARTS)`),
      ),
    );
    parser.on('error', (error: Error) =>
      fail(new BadMultipartError(`The multipart body cannot be read: ${error.message}`)),
    );
    parser.on('close', () => {
      if (failed) return;
      Promise.all(stored).then(
        (files) => resolve({ files, fields }),
        (error: Error) => fail(new BadMultipartError(`The upload was cut short: ${error.message}`)),
      );
    });
    request.once('close', () => {
      if (!request.complete) fail(new BadMultipartError('The client went away before the upload ended'));
    });
    request.pipe(parser);
  });
}
