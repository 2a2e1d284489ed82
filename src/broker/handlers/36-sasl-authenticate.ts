// SaslAuthenticate (key 36), versions 0–2 (v2 flexible). After a v1 SaslHandshake, the client's
// SASL token (PLAIN: one; SCRAM: two, each answered with the server's message); a login that fails answers SASL_AUTHENTICATION_FAILED with Kafka's message
// (after connection.failed.authentication.delay.ms) and the connection closes; one out of turn
// (no handshake, or already authenticated) is ILLEGAL_SASL_STATE. Re-authentication
// (connections.max.reauth.ms, KIP-368): v1+ tells the session lifetime; a connection re-authenticates
// with another SaslHandshake v1 and SaslAuthenticate, as the same principal with the same mechanism.
import { ErrorCode } from '../../protocol/errors.js';
import { SaslAuthenticateRequestSchema, SaslAuthenticateResponseSchema, type SaslAuthenticateRequest, type SaslAuthenticateResponse } from '../../protocol/messages/36-sasl-authenticate.js';
import type { Handler } from '../handler.js';

const NONE = Buffer.alloc(0);

export const saslAuthenticateHandler: Handler<SaslAuthenticateRequest, SaslAuthenticateResponse> = {
  apiKey: 36,
  minVersion: 0,
  maxVersion: 2,
  request: SaslAuthenticateRequestSchema,
  response: SaslAuthenticateResponseSchema,
  async handle(ctx, req) {
    const sasl = ctx.sasl ?? null;
    if (sasl === null || sasl.state !== 'authenticate') {
      sasl?.fail();
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'Unexpected SaslAuthenticate request: no SASL handshake in progress', authBytes: NONE, sessionLifetimeMs: 0 };
    }
    const step = await sasl.authenticate(req.authBytes);
    if ('error' in step) {
      sasl.fail();
      return { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: step.error, authBytes: NONE, sessionLifetimeMs: 0 };
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: step.reply, sessionLifetimeMs: step.done ? sasl.sessionLifetimeMs : 0 };
  },
};
