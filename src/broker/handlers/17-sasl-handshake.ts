// SaslHandshake (key 17), versions 0–1. On a SASL listener, before authentication: the mechanism
// the client asks for, answered with the enabled ones; UNSUPPORTED_SASL_MECHANISM for another
// one, ILLEGAL_SASL_STATE for a second handshake. v0: the client's tokens follow as bare frames;
// v1: wrapped in SaslAuthenticate (KIP-152). On a listener without SASL: ILLEGAL_SASL_STATE and
// no mechanisms, as Kafka answers.
import { ErrorCode } from '../../protocol/errors.js';
import { SaslHandshakeRequestSchema, SaslHandshakeResponseSchema, type SaslHandshakeRequest, type SaslHandshakeResponse } from '../../protocol/messages/17-sasl-handshake.js';
import type { Handler } from '../handler.js';

export const saslHandshakeHandler: Handler<SaslHandshakeRequest, SaslHandshakeResponse> = {
  apiKey: 17,
  minVersion: 0,
  maxVersion: 1,
  request: SaslHandshakeRequestSchema,
  response: SaslHandshakeResponseSchema,
  async handle(ctx, req, version) {
    const sasl = ctx.sasl ?? null;
    if (sasl === null) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
    const errorCode = sasl.handshake(req.mechanism, version);
    return { errorCode, mechanisms: [...sasl.config.mechanisms] };
  },
};
