import { ServiceError } from '../common/errors';

/** A manifest file that is missing, is not JSON, or does not match the manifest schema. */
export class ModelManifestError extends ServiceError {
  readonly code = 'model_manifest_invalid';
  readonly httpStatus = 500;

  constructor(
    readonly manifestPath: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Model manifest ${manifestPath} is invalid: ${reason}`, options);
  }
}

/** A model id with no manifest in the manifests directory. */
export class UnknownModelError extends ServiceError {
  readonly code = 'model_unknown';
  readonly httpStatus = 500;

  constructor(
    readonly modelId: string,
    readonly knownIds: readonly string[],
  ) {
    super(`Unknown model "${modelId}"; manifests exist for: ${knownIds.join(', ') || '(none)'}`);
  }
}

/** What happened when one source was tried for one file. */
export interface FetchAttempt {
  /** A mirror file path or a URL. */
  source: string;
  /** Why this source did not provide the file. */
  failure: string;
}

/**
 * No source provided a file with the expected sha256. The message lists every source tried and why
 * each failed, so the fix (set `MODEL_MIRROR`, restore network, correct the manifest) is visible.
 */
export class ModelFetchError extends ServiceError {
  readonly code = 'model_fetch_failed';
  readonly httpStatus = 503;

  constructor(
    readonly modelId: string,
    readonly file: string,
    readonly attempts: readonly FetchAttempt[],
  ) {
    const tried = attempts.length
      ? attempts.map((a) => `\n  - ${a.source}: ${a.failure}`).join('')
      : '\n  (no sources: no mirror directory and no URLs in the manifest)';
    super(
      `Could not fetch ${file} for model "${modelId}". Tried:${tried}\n` +
        'Set MODEL_MIRROR to a directory laid out like ../shared/models, or allow access to the URLs.',
    );
  }
}
