/**
 * The transactions part of `npm run bench` (`--only=txn`), KIP-890: transactions per second of
 * 3 partitions × 10 records of 100 B each, committed one after another, against a broker in this
 * process —
 *
 *  - KafkaJS (transactions v1: AddPartitionsToTxn, Produce v7, EndTxn v3), with the leader's
 *    verification of each partition's first batch (`transaction.partition.verification.enable`,
 *    Kafka's default) and without it, alternating;
 *  - Samsa's producer (transactions v2: Produce v12 adds the partitions, EndTxn v5 bumps the epoch).
 *
 * Each figure is the median of its runs. Printed, never asserted.
 */
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../src/broker/broker.js';
import { createClient } from '../src/client/index.js';
import { median, round } from './stats.js';

export interface TxnBenchIo {
  quick: boolean;
  progress(msg: string): void;
  /** A line for stdout after the tables. */
  summary(line: string): void;
}

const PARTITIONS = 3;
const RECORDS_PER_PARTITION = 10;
const VALUE = 'x'.repeat(100);

async function withBroker<T>(verify: boolean, fn: (bootstrap: string) => Promise<T>): Promise<T> {
  const broker = await Broker.start({ port: 0, config: verify ? {} : { 'transaction.partition.verification.enable': 'false' } });
  try {
    const admin = createClient({ bootstrapServers: broker.bootstrap });
    await admin.admin().createTopics([{ topic: 'txn', numPartitions: PARTITIONS, replicationFactor: 1 }]);
    await admin.close();
    return await fn(broker.bootstrap);
  } finally {
    await broker.stop();
  }
}

async function kafkaJsRate(bootstrap: string, transactions: number): Promise<number> {
  const producer = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).producer({ transactionalId: 'bench-kafkajs', idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const t0 = performance.now();
    for (let i = 0; i < transactions; i++) {
      const t = await producer.transaction();
      for (let p = 0; p < PARTITIONS; p++) await t.send({ topic: 'txn', messages: Array.from({ length: RECORDS_PER_PARTITION }, () => ({ partition: p, value: VALUE })) });
      await t.commit();
    }
    return transactions / ((performance.now() - t0) / 1000);
  } finally {
    await producer.disconnect();
  }
}

async function samsaRate(bootstrap: string, transactions: number): Promise<number> {
  const client = createClient({ bootstrapServers: bootstrap });
  const producer = client.producer({ transactionalId: 'bench-samsa' });
  try {
    await producer.initTransactions();
    const t0 = performance.now();
    for (let i = 0; i < transactions; i++) {
      producer.beginTransaction();
      for (let p = 0; p < PARTITIONS; p++) await producer.send({ topic: 'txn', messages: Array.from({ length: RECORDS_PER_PARTITION }, () => ({ partition: p, value: VALUE })) });
      await producer.commitTransaction();
    }
    return transactions / ((performance.now() - t0) / 1000);
  } finally {
    await producer.close();
    await client.close();
  }
}

export async function benchTransactions(io: TxnBenchIo): Promise<void> {
  const transactions = io.quick ? 50 : 300;
  const runs = io.quick ? 1 : 3;
  const rates: Record<string, number[]> = { verified: [], unverified: [], v2: [] };
  for (let run = 0; run < runs; run++) {
    for (const verify of [true, false]) {
      const rate = await withBroker(verify, (b) => kafkaJsRate(b, transactions));
      rates[verify ? 'verified' : 'unverified']!.push(rate);
      io.progress(`txn: KafkaJS, verification ${verify ? 'on' : 'off'}: ${round(rate, 0)} transactions/s`);
    }
    const v2 = await withBroker(true, (b) => samsaRate(b, transactions));
    rates.v2!.push(v2);
    io.progress(`txn: Samsa's producer (v2): ${round(v2, 0)} transactions/s`);
  }
  const m = (k: string) => round(median(rates[k]!), 0);
  io.summary(
    `Transactions (${transactions} × ${PARTITIONS} partitions × ${RECORDS_PER_PARTITION} records, median of ${runs}): ` +
      `KafkaJS v1 ${m('verified')}/s with KIP-890 verification, ${m('unverified')}/s without; Samsa's producer v2 ${m('v2')}/s`,
  );
}
