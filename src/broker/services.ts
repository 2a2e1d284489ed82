/**
 * HTTP services that start and stop with the broker when their key is set — today the web
 * console (`console.listener`). They live above the broker (the console speaks to it only as a
 * Kafka client, src/console/), and the broker imports nothing above it (DESIGN.md's layers), so
 * the layers that may import both register them here: the server tool and the library entry.
 */
import type { BrokerConfig } from '../cluster/config.js';
import { ConfigError } from '../cluster/config.js';
import type { HttpAddress } from '../util/http-address.js';
import type { Logger } from '../util/logger.js';

export interface ServiceContext {
  listen: HttpAddress;
  /** `host:port` of this broker's first listener, for the service's client. */
  bootstrap: string;
  /** Every broker key in force (a service reads its own, e.g. `console.client.*`). */
  raw: Readonly<Record<string, string>>;
  logger: Logger;
}

export interface RunningService {
  /** Where it is served, e.g. http://127.0.0.1:8080/. */
  readonly url: string;
  stop(): Promise<void>;
}

export type ServiceStarter = (ctx: ServiceContext) => Promise<RunningService>;

/** The keys that name a service's address, and where each is in the parsed config. */
const SERVICE_KEYS: ReadonlyArray<[string, (c: BrokerConfig) => HttpAddress | null]> = [['console.listener', (c) => c.consoleListener]];

const registry = new Map<string, ServiceStarter>();

/** Makes `key` start `starter` with every broker that sets it (the last registration wins). */
export function registerBrokerService(key: string, starter: ServiceStarter): void {
  registry.set(key, starter);
}

/** Before anything opens: a set key whose service is not in this process is a ConfigError. */
export function checkBrokerServices(config: BrokerConfig): void {
  for (const [key, address] of SERVICE_KEYS) {
    if (address(config) !== null && !registry.has(key))
      throw new ConfigError(`${key}: the service is not loaded in this process; run the broker with 'samsa server start', or import Broker from 'samsa' (which loads it)`);
  }
}

/** Starts the services whose keys are set; if one fails, those already started stop again. */
export async function startBrokerServices(config: BrokerConfig, bootstrap: string, logger: Logger): Promise<Map<string, RunningService>> {
  const running = new Map<string, RunningService>();
  try {
    for (const [key, address] of SERVICE_KEYS) {
      const listen = address(config);
      const starter = registry.get(key);
      if (listen === null || starter === undefined) continue;
      running.set(key, await starter({ listen, bootstrap, raw: config.raw, logger }));
    }
    return running;
  } catch (err) {
    await stopBrokerServices(running);
    throw err;
  }
}

export async function stopBrokerServices(running: Map<string, RunningService>): Promise<void> {
  for (const s of running.values()) await s.stop().catch(() => undefined);
  running.clear();
}
