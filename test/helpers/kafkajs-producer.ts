/**
 * An idempotent acks=all KafkaJS producer loop: the values 0..n-1 keyed by value, in sends of 100
 * to one partition each, round robin over the partitions, and the list of acknowledged values.
 *
 * One partition per send(): KafkaJS 2.2.4 drops the messages of a partition whose leader moved to
 * a broker that already answered for the same send() (tulios/kafkajs PR #1798), against Kafka as
 * here.
 */
import { Kafka, logLevel } from 'kafkajs';

export interface KafkajsLoopOptions {
  records: number;
  partitions: number;
  /** Called after each acknowledged send with how many records are acknowledged so far. */
  onAcked?(count: number): void;
  /** KafkaJS's request timeout (its default is 30 s). */
  requestTimeoutMs?: number;
  /**
   * How old metadata may get before a send refreshes it (KafkaJS's default is 5 minutes). KafkaJS
   * refreshes at once on a protocol or connection error but not on a request timeout, so against
   * an unreachable leader only this brings the new leader in.
   */
  metadataMaxAgeMs?: number;
}

export async function kafkajsProduceLoop(bootstrap: string, topic: string, o: KafkajsLoopOptions): Promise<number[]> {
  const kafka = new Kafka({
    clientId: 'cluster-test',
    brokers: bootstrap.split(','),
    logLevel: logLevel.NOTHING,
    requestTimeout: o.requestTimeoutMs ?? 30_000,
    retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, metadataMaxAge: o.metadataMaxAgeMs ?? 300_000 });
  await producer.connect();
  const acked: number[] = [];
  try {
    for (let next = 0; next < o.records; next += 100) {
      const partition = (next / 100) % o.partitions;
      const batch = Array.from({ length: Math.min(100, o.records - next) }, (_, i) => ({ partition, key: String(next + i), value: String(next + i) }));
      await producer.send({ topic, acks: -1, messages: batch });
      for (let i = 0; i < batch.length; i++) acked.push(next + i);
      o.onAcked?.(acked.length);
    }
  } finally {
    await producer.disconnect();
  }
  return acked;
}
