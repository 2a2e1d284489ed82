/**
 * The web console as a broker service: `console.listener=http://host:port` makes the broker
 * serve it (src/broker/services.ts), speaking to the broker as a Kafka client through its first
 * listener. `console.client.<key>` keys are the console client's properties (e.g.
 * `console.client.security.protocol`, `console.client.sasl.jaas.config`) for a broker whose
 * listener asks for TLS or SASL. Registered by the server tool and the library entry.
 */
import { registerBrokerService } from '../broker/services.js';
import { clientProperties } from '../client/properties.js';
import { ConfigError } from '../cluster/config.js';

const CLIENT_PREFIX = 'console.client.';

export function registerConsoleService(): void {
  registerBrokerService('console.listener', async (ctx) => {
    const props = new Map(Object.entries(ctx.raw).filter(([k]) => k.startsWith(CLIENT_PREFIX)).map(([k, v]) => [k.slice(CLIENT_PREFIX.length), v]));
    const { client, unsupported } = clientProperties(props, 'admin');
    for (const key of unsupported) ctx.logger.warn(`${CLIENT_PREFIX}${key} is ignored: the console's client does not support it`, { key: `${CLIENT_PREFIX}${key}` });
    const { ConsoleServer } = await import('../console/server.js');
    const server = await ConsoleServer.start({ listen: ctx.listen, client: { ...client, bootstrapServers: ctx.bootstrap }, logger: ctx.logger }).catch((err: Error) => {
      throw new ConfigError(`console.listener: ${err.message}`);
    });
    ctx.logger.info(`web console at ${server.url}`, { url: server.url });
    return server;
  });
}
