/**
 * Base of the service's typed errors. Each carries a stable `code` and the HTTP status it maps to,
 * so one exception filter can translate every error at the edge.
 */
export abstract class ServiceError extends Error {
  abstract readonly code: string;
  abstract readonly httpStatus: number;
  /** Response headers that go with the error (`Retry-After`, say). */
  readonly headers?: Record<string, string>;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The message of anything thrown: an Error's message, anything else as a string. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
