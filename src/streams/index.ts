/** `samsa/streams`: Kafka Streams' model in TypeScript (the stateless DSL, the Processor API, the test driver). */
export { Serdes, SerializationError, type Serde, type Serializer, type Deserializer, type Header } from './serdes.js';
export {
  KeyValue,
  PunctuationType,
  StreamsException,
  TopologyException,
  type Cancellable,
  type Processor,
  type ProcessorContext,
  type ProcessorSupplier,
  type Punctuator,
  type RecordMetadata,
  type StreamRecord,
  type TimestampExtractor,
} from './processor.js';
export {
  Topology,
  TopologyDescription,
  type NodeDescription,
  type RecordContext,
  type StreamPartitioner,
  type SubtopologyDescription,
  type TopicNameExtractor,
} from './topology.js';
export { Branched, BranchedKStream, Consumed, KStream, Named, Produced, StreamsBuilder } from './kstream.js';
export { StreamTask, type ConsumedRecord, type ProducedRecord, type RecordCollector, type StreamsConfig } from './task.js';
export { NoSuchElementError, TestInputTopic, TestOutputTopic, TopologyTestDriver, type TestDriverOptions, type TestRecord } from './test-driver.js';
