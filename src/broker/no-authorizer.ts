/**
 * The ACL APIs as a Kafka broker without an authorizer answers them (Kafka's AclApis): every
 * request is refused with SECURITY_DISABLED and Kafka's sentences. A request carrying an UNKNOWN
 * (0) resource type, pattern type, operation or permission type is one Kafka cannot parse: it
 * closes the connection.
 */
import { UnparsableRequestError } from './handler.js';

export const NO_AUTHORIZER_DESCRIBE = 'No Authorizer is configured on the broker';
export const NO_AUTHORIZER_ALTER = 'No Authorizer is configured.';

/** Kafka's UNKNOWN code of ResourceType, PatternType, AclOperation and AclPermissionType. */
const UNKNOWN = 0;

/** The codes an ACL binding or filter carries; throws when any is UNKNOWN, as Kafka's parser does. */
export function refuseUnknownAclCodes(what: string, codes: Record<string, number>): void {
  for (const [name, code] of Object.entries(codes)) {
    if (code === UNKNOWN) throw new UnparsableRequestError(`${what} has an UNKNOWN ${name} (0)`);
  }
}
