/**
 * Errors the client raises itself, each a class with a stable string `code` that callers can
 * test. Errors the broker reports keep Kafka's numeric code in `KafkaError` from the protocol.
 */
export { KafkaError } from '../protocol/errors.js';

export class ClientError extends Error {
  override name = 'ClientError';
  readonly code: string = 'SAMSA_CLIENT_ERROR';
}

/** The TCP connection failed, closed, or could not be made. Usually worth a retry. */
export class ConnectionError extends ClientError {
  override name = 'ConnectionError';
  override readonly code = 'SAMSA_CONNECTION';
}

/** No response arrived within the request timeout. */
export class RequestTimeoutError extends ClientError {
  override name = 'RequestTimeoutError';
  override readonly code = 'SAMSA_REQUEST_TIMEOUT';
}

/** Client and broker share no version of an API. */
export class UnsupportedVersionError extends ClientError {
  override name = 'UnsupportedVersionError';
  override readonly code = 'SAMSA_UNSUPPORTED_VERSION';
}

/** The broker sent bytes the client cannot decode. */
export class ProtocolError extends ClientError {
  override name = 'ProtocolError';
  override readonly code = 'SAMSA_PROTOCOL';
}

/** The caller passed something unusable (bad bootstrap string, unknown partition, …). */
export class InvalidArgumentError extends ClientError {
  override name = 'InvalidArgumentError';
  override readonly code = 'SAMSA_INVALID_ARGUMENT';
}

/** The client or one of its parts was used after `close()`. */
export class ClosedError extends ClientError {
  override name = 'ClosedError';
  override readonly code = 'SAMSA_CLOSED';
}

/** A TLS or SASL setting was given; the client speaks PLAINTEXT only, so it refuses instead of downgrading. */
export class UnsupportedSecurityError extends ClientError {
  override name = 'UnsupportedSecurityError';
  override readonly code = 'SAMSA_UNSUPPORTED_SECURITY';

  /** `settings` names what asked for security, e.g. "security.protocol=SSL". */
  constructor(settings: string) {
    super(`${settings}: this SASL mechanism is not supported yet; Samsa's client logs in with SASL/PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER only, so it refuses to connect rather than connect without the authentication asked for.`);
  }
}
