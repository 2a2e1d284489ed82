/** Samsa's library entry point: the embeddable broker and the protocol layer. */
export { Broker, startServer, type BrokerOptions } from './broker/broker.js';
export { Cluster, type ClusterOptions } from './broker/in-process-cluster.js';
export { ManualClock, SystemClock, type Clock } from './platform/clock.js';
export { ErrorCode, KafkaError, errorName } from './protocol/errors.js';
export { createClient, Client, Admin, Producer, Consumer, type ClientOptions } from './client/index.js';
import { registerConsoleService } from './cli/console-service.js';

// A broker started from the library serves the web console when console.listener is set.
registerConsoleService();
