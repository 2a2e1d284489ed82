/** `samsa delete-records`: Kafka's kafka-delete-records.sh, driven by an offset JSON file. */
import { readFile } from 'node:fs/promises';
import { KafkaError } from '../client/index.js';
import { str, UsageError, writeOut, type Io, type ToolSpec } from './common.js';
import { COMMAND_CONFIG_FLAG, runAdminTool } from './client-config.js';

export const spec: ToolSpec = {
  name: 'delete-records',
  summary: 'Delete the records of partitions before given offsets (moves their log start offset).',
  usage: 'samsa delete-records --bootstrap-server <host:port> --offset-json-file <file>',
  flags: {
    'bootstrap-server': { type: 'string', value: 'host:port', help: 'The broker(s) to connect to, comma-separated.' },
    ...COMMAND_CONFIG_FLAG,
    'offset-json-file': {
      type: 'string',
      value: 'file',
      help: 'Kafka\'s JSON: {"partitions":[{"topic":"t","partition":0,"offset":3}],"version":1}; offset -1 means the high watermark.',
    },
  },
};

interface Target {
  topic: string;
  partition: number;
  offset: number;
}

/** Parses Kafka's offset JSON, with a sentence for each way it can be wrong. */
export function parseOffsetJson(text: string, file: string): Target[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  const partitions = (doc as { partitions?: unknown })?.partitions;
  if (!Array.isArray(partitions)) throw new UsageError(`${file} needs a "partitions" array, as in {"partitions":[{"topic":"t","partition":0,"offset":3}],"version":1}.`);
  const seen = new Set<string>();
  return partitions.map((p: { topic?: unknown; partition?: unknown; offset?: unknown }, i) => {
    if (typeof p?.topic !== 'string' || !Number.isInteger(p.partition) || !Number.isSafeInteger(p.offset))
      throw new UsageError(`Entry ${i} of "partitions" in ${file} needs "topic" (a string), "partition" and "offset" (whole numbers).`);
    const key = `${p.topic}-${p.partition}`;
    if (seen.has(key)) throw new UsageError(`Offset json file contains duplicate topic partitions: ${key}`);
    seen.add(key);
    return { topic: p.topic, partition: p.partition as number, offset: p.offset as number };
  });
}

export async function run(argv: string[], io: Io): Promise<number> {
  return runAdminTool(spec, argv, io, async ({ values }, connect) => {
    const file = str(values, 'offset-json-file');
    if (file === undefined) throw new UsageError(`--offset-json-file is required: a file like {"partitions":[{"topic":"t","partition":0,"offset":3}],"version":1}.`);
    const targets = parseOffsetJson(await readFile(file, 'utf8'), file);
    const admin = connect();
    io.stdout.write('Executing records delete operation\n');
    const lines = await Promise.all(
      targets.map(async (t) => {
        try {
          const [r] = await admin.deleteRecords([t]);
          return { line: `partition: ${t.topic}-${t.partition}\tlow_watermark: ${r!.lowWatermark}\n`, failed: false };
        } catch (err) {
          if (!(err instanceof KafkaError)) throw err;
          return { line: `partition: ${t.topic}-${t.partition}\terror: ${err.message}\n`, failed: true };
        }
      }),
    );
    await writeOut(io.stdout, `Records delete operation completed:\n${lines.map((l) => l.line).join('')}`);
    return lines.some((l) => l.failed) ? 1 : 0;
  });
}
