/**
 * Errors the log raises for operating conditions (bad input, a failing disk, an offset out of
 * range). Each carries the Kafka error code a handler puts in its response; programmer errors
 * are assertions instead (util/assert.ts).
 */
import { ErrorCode } from '../protocol/errors.js';

export { ErrorCode };

export class StorageError extends Error {
  override name = 'StorageError';

  constructor(
    /** The Kafka error code for a response. */
    readonly code: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function offsetOutOfRange(offset: number, logStartOffset: number, logEndOffset: number): StorageError {
  return new StorageError(
    ErrorCode.OFFSET_OUT_OF_RANGE,
    `offset ${offset} is outside the log's range [${logStartOffset}, ${logEndOffset}]`,
  );
}

/** Wraps an I/O failure (ENOSPC, EIO, …) as KAFKA_STORAGE_ERROR, keeping the cause. */
export function storageFailure(what: string, cause: unknown): StorageError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `${what}: ${detail}`, { cause });
}
