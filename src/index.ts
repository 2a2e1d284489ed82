/** Samsa's library entry point: the embeddable broker and the protocol layer. */
export { Broker, startServer, type BrokerOptions } from './broker/broker.js';
export { ManualClock, SystemClock, type Clock } from './platform/clock.js';
export { ErrorCode, KafkaError, errorName } from './protocol/errors.js';
export { createClient, Client, Admin, Producer, Consumer, type ClientOptions } from './client/index.js';
