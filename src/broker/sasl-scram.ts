/**
 * The broker's side of a SCRAM-SHA-256/512 login, as Kafka's ScramSaslServer runs it: the client's
 * first message names the user, the broker answers with its nonce, the user's salt and iteration
 * count; the client's final message proves it knows the password, and the broker answers with its
 * own signature. A failure is Kafka's: an unknown user, a wrong proof or a malformed message all
 * read "Authentication failed during authentication due to invalid credentials with SASL
 * mechanism …" on the client (only the authorization-id check has its own sentence).
 */
import {
  authMessage, hash, hmac, parseClientFinal, parseClientFirst, sameBytes, scramNonce, xor,
  type ClientFirst, type ScramCredential, type ScramMechanism,
} from '../protocol/sasl-scram.js';

export type ScramLookup = (user: string, m: ScramMechanism) => ScramCredential | undefined;

/** One step of a login: the token to send back, whether the login is complete, or the refusal. */
export type SaslStep = { reply: Buffer; done: boolean } | { error: string };

export class ScramServer {
  private first: { client: ClientFirst; serverFirst: string; serverNonce: string; credential: ScramCredential } | null = null;
  private finished = false;
  /** The authenticated user, once the exchange has completed. */
  user: string | null = null;

  constructor(
    private readonly m: ScramMechanism,
    private readonly lookup: ScramLookup,
  ) {}

  private invalid(): SaslStep {
    this.finished = true;
    return { error: `Authentication failed during authentication due to invalid credentials with SASL mechanism ${this.m.name}` };
  }

  step(token: Buffer): SaslStep {
    if (this.finished) return this.invalid();
    return this.first === null ? this.clientFirst(token.toString('utf8')) : this.clientFinal(token.toString('utf8'));
  }

  private clientFirst(text: string): SaslStep {
    const client = parseClientFirst(text);
    // Delegation tokens (tokenauth=true) are not served: such a login has no credential.
    if (client === null || client.user === '' || client.extensions.get('tokenauth') === 'true') return this.invalid();
    const credential = this.lookup(client.user, this.m);
    if (credential === undefined || credential.iterations < this.m.minIterations) return this.invalid();
    if (client.authzid !== '' && client.authzid !== client.user) {
      this.finished = true;
      return { error: 'Authentication failed: Client requested an authorization id that is different from username' };
    }
    const serverNonce = scramNonce();
    const serverFirst = `r=${client.nonce}${serverNonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`;
    this.first = { client, serverFirst, serverNonce, credential };
    return { reply: Buffer.from(serverFirst, 'utf8'), done: false };
  }

  private clientFinal(text: string): SaslStep {
    const { client, serverFirst, serverNonce, credential } = this.first!;
    const final = parseClientFinal(text);
    this.finished = true;
    // Kafka checks only that the nonce ends with the server's part: librdkafka (2.0) sends its own
    // nonce twice, and the proof covers the message as sent.
    if (final === null || !final.nonce.endsWith(serverNonce)) return this.invalid();
    if (final.channelBinding.toString('utf8') !== client.gs2Header) return this.invalid();
    const auth = authMessage(client.bare, serverFirst, final.withoutProof);
    const clientSignature = hmac(this.m, credential.storedKey, auth);
    if (final.proof.length !== clientSignature.length) return this.invalid();
    const clientKey = xor(final.proof, clientSignature);
    if (!sameBytes(hash(this.m, clientKey), credential.storedKey)) return this.invalid();
    this.user = client.user;
    const serverSignature = hmac(this.m, credential.serverKey, auth);
    return { reply: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8'), done: true };
  }
}
