import { ServiceError } from '../common/errors';

/** The bytes are not an image sharp can decode (unknown format, truncated, empty, over the pixel limit). */
export class UndecodableImageError extends ServiceError {
  readonly code = 'image_undecodable';
  readonly httpStatus = 422;

  constructor(reason: string, options?: { cause?: unknown }) {
    super(`Not a decodable image: ${reason}`, options);
  }
}

/** The ONNX graph or labels file does not match what the manifest promises (names, shapes, class count). */
export class ModelContractError extends ServiceError {
  readonly code = 'model_contract_mismatch';
  readonly httpStatus = 500;

  constructor(modelId: string, reason: string) {
    super(`Model "${modelId}" does not match its manifest: ${reason}`);
  }
}
