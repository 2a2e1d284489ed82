/**
 * `samsa transactions`: Kafka's kafka-transactions.sh — list transactions, describe one, describe
 * the producers of a partition, and abort a hanging transaction on a partition. Output is
 * Kafka's: a table of tab-separated columns under a header row.
 */
import type { Admin } from '../client/index.js';
import { int, str, UsageError, writeOut, type Io, type ParsedFlags, type ToolSpec } from './common.js';
import { COMMAND_CONFIG_FLAG, runAdminTool } from './client-config.js';

export const spec: ToolSpec = {
  name: 'transactions',
  summary: 'List, describe and abort transactions; describe the producers of a partition.',
  usage:
    'samsa transactions --bootstrap-server <host:port> list\n' +
    '       samsa transactions --bootstrap-server <host:port> describe --transactional-id <id>\n' +
    '       samsa transactions --bootstrap-server <host:port> describe-producers --topic <topic> --partition <n>\n' +
    '       samsa transactions --bootstrap-server <host:port> abort --topic <topic> --partition <n> --producer-id <id> --producer-epoch <epoch> --coordinator-epoch <epoch>',
  allowPositionals: true,
  flags: {
    'bootstrap-server': { type: 'string', value: 'host:port', help: 'The broker(s) to connect to, comma-separated.' },
    ...COMMAND_CONFIG_FLAG,
    'transactional-id': { type: 'string', value: 'id', help: 'describe: the transactional id.' },
    topic: { type: 'string', value: 'topic', help: 'describe-producers, abort: the topic.' },
    partition: { type: 'string', value: 'n', help: 'describe-producers, abort: the partition.' },
    'producer-id': { type: 'string', value: 'id', help: 'abort: the producer whose transaction to abort.' },
    'producer-epoch': { type: 'string', value: 'epoch', help: 'abort: that producer’s epoch.' },
    'coordinator-epoch': { type: 'string', value: 'epoch', help: 'abort: the coordinator epoch for the marker.' },
  },
};

const COMMANDS = ['list', 'describe', 'describe-producers', 'abort'] as const;
type Command = (typeof COMMANDS)[number];

/** Kafka's prettyPrintTable: columns padded to their widest cell, separated by a tab. */
export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('\t') + '\n').join('');
}

function required(values: ParsedFlags, name: string, command: Command): string {
  const v = str(values, name);
  if (v === undefined) throw new UsageError(`samsa transactions ${command} needs --${name}.`);
  return v;
}

function requiredInt(values: ParsedFlags, name: string, command: Command, min: number): number {
  required(values, name, command);
  return int(values, name, { min })!;
}

async function execute(admin: Admin, command: Command, values: ParsedFlags, nowMs: number): Promise<string> {
  switch (command) {
    case 'list': {
      const all = await admin.listTransactions();
      return table(['TransactionalId', 'Coordinator', 'ProducerId', 'TransactionState'], all.map((t) => [t.transactionalId, t.coordinatorId, t.producerId, t.state]));
    }
    case 'describe': {
      const t = await admin.describeTransaction(required(values, 'transactional-id', command));
      const started = t.transactionStartTimeMs >= 0;
      return table(
        ['CoordinatorId', 'TransactionalId', 'ProducerId', 'ProducerEpoch', 'TransactionState', 'TransactionTimeoutMs', 'CurrentTransactionStartTimeMs', 'TransactionDurationMs', 'TopicPartitions'],
        [[
          t.coordinatorId, t.transactionalId, t.producerId, t.producerEpoch, t.state, t.transactionTimeoutMs,
          started ? t.transactionStartTimeMs : 'None', started ? Math.max(0, nowMs - t.transactionStartTimeMs) : 'None',
          t.topicPartitions.map((p) => `${p.topic}-${p.partition}`).join(','),
        ]],
      );
    }
    case 'describe-producers': {
      const producers = await admin.describeProducers(required(values, 'topic', command), requiredInt(values, 'partition', command, 0));
      return table(
        ['ProducerId', 'ProducerEpoch', 'LatestCoordinatorEpoch', 'LastSequence', 'LastTimestamp', 'CurrentTransactionStartOffset'],
        producers.map((p) => [p.producerId, p.producerEpoch, p.coordinatorEpoch, p.lastSequence, p.lastTimestamp, p.currentTransactionStartOffset < 0 ? 'None' : p.currentTransactionStartOffset]),
      );
    }
    case 'abort': {
      await admin.abortTransaction({
        topic: required(values, 'topic', command),
        partition: requiredInt(values, 'partition', command, 0),
        producerId: requiredInt(values, 'producer-id', command, 0),
        producerEpoch: requiredInt(values, 'producer-epoch', command, 0),
        coordinatorEpoch: requiredInt(values, 'coordinator-epoch', command, 0),
      });
      return '';
    }
  }
}

export async function run(argv: string[], io: Io): Promise<number> {
  return runAdminTool(spec, argv, io, async ({ values, positionals }, connect) => {
    const command = positionals[0];
    if (positionals.length !== 1 || !COMMANDS.includes(command as Command))
      throw new UsageError(`samsa transactions needs one command: ${COMMANDS.join(', ')}${command === undefined ? '' : `; not '${positionals.join(' ')}'`}.`);
    const admin = connect();
    await writeOut(io.stdout, await execute(admin, command as Command, values, Date.now()));
    return 0;
  });
}
