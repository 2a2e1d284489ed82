/**
 * librdkafka's (Debian's confluent-kafka) exactly-once loop in its own process: a read_committed
 * group consumer of `input` and a transactional producer to `output`, each transaction carrying
 * the records it read (at most `batch`; values copied, keys kept) and the consumer's offsets
 * (send_offsets_to_transaction). Every `abortEvery`-th transaction also writes a poison record
 * and aborts, so read_committed readers must never see one. On an abortable error the
 * transaction is aborted and the consumer rewound to its committed offsets; on a fatal one the
 * producer is made anew (fencing the old instance) and the consumer rewound, as Kafka's EOS
 * pattern has it. It stops once it has committed everything up to the input's end and stayed
 * idle for two seconds, and prints counts.
 */
import { spawn } from 'node:child_process';
import { SYSTEM_PYTHON } from './broker.js';

const LOOP = `
import sys, json, time
from confluent_kafka import Consumer, Producer, KafkaException, TopicPartition
bootstrap, src, dst, txid, abort_every, total, batch = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'eos-' + txid, 'isolation.level': 'read_committed',
              'enable.auto.commit': False, 'auto.offset.reset': 'earliest', 'session.timeout.ms': 10000,
              'topic.metadata.refresh.interval.ms': 1000})
def make_producer():
    p = Producer({'bootstrap.servers': bootstrap, 'transactional.id': txid, 'transaction.timeout.ms': 30000,
                  'topic.metadata.refresh.interval.ms': 1000, 'message.timeout.ms': 30000, 'linger.ms': 5})
    while True:
        try:
            p.init_transactions(30)
            return p
        except KafkaException as e:
            if e.args[0].fatal():
                raise
            time.sleep(0.5)
p = make_producer()
c.subscribe([src])
stats = {'committed': 0, 'aborted': 0, 'deliberate': 0, 'rewinds': 0, 'fatal': 0, 'errors': []}
def rewind():
    stats['rewinds'] += 1
    parts = c.assignment()
    if not parts:
        return
    for tp in c.committed(parts, timeout=30):
        c.seek(TopicPartition(tp.topic, tp.partition, tp.offset if tp.offset >= 0 else 0))
idle_since, n = None, 0
while True:
    msgs = c.consume(batch, 0.5)
    msgs = [m for m in msgs if m.error() is None]
    if not msgs:
        parts = c.assignment()
        done = False
        if parts:
            ends = sum(c.get_watermark_offsets(tp, timeout=10, cached=False)[1] for tp in parts)
            committed = sum(max(tp.offset, 0) for tp in c.committed(parts, timeout=10))
            done = committed >= ends and ends >= total
        if done:
            idle_since = idle_since or time.time()
            if time.time() - idle_since > 2:
                break
        continue
    idle_since = None
    n += 1
    deliberate = abort_every > 0 and n % abort_every == 0
    try:
        p.begin_transaction()
        for m in msgs:
            p.produce(dst, key=m.key(), value=m.value())
        if deliberate:
            p.produce(dst, key=b'poison', value=b'ABORTED-' + str(n).encode())
            p.flush(30)
            p.abort_transaction(30)
            stats['deliberate'] += 1
            rewind()
            continue
        p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), 30)
        p.commit_transaction(30)
        stats['committed'] += 1
        print(json.dumps({'progress': stats['committed']}), flush=True)
    except KafkaException as e:
        err = e.args[0]
        stats['errors'].append(str(err))
        if err.fatal():
            stats['fatal'] += 1
            p = make_producer()
        else:
            try:
                p.abort_transaction(30)
                stats['aborted'] += 1
            except KafkaException as e2:
                stats['errors'].append('abort: ' + str(e2.args[0]))
                p = make_producer()
        rewind()
c.close()
stats['errors'] = stats['errors'][:20]
print(json.dumps({'result': stats}), flush=True)
`;

export interface EosStats {
  committed: number;
  aborted: number;
  deliberate: number;
  rewinds: number;
  fatal: number;
  errors: string[];
}

export interface EosRun {
  /** Resolves once `n` transactions were committed. */
  committed(n: number): Promise<void>;
  result: Promise<EosStats>;
}

export function librdkafkaEosLoop(bootstrap: string, input: string, output: string, transactionalId: string, inputRecords: number, o: { abortEvery?: number; batch?: number; timeoutMs?: number } = {}): EosRun {
  const timeoutMs = o.timeoutMs ?? 240_000;
  const child = spawn(SYSTEM_PYTHON, ['-c', LOOP, bootstrap, input, output, transactionalId, String(o.abortEvery ?? 7), String(inputRecords), String(o.batch ?? 20)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let progress = 0;
  const waiters: Array<{ n: number; resolve(): void }> = [];
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    for (const line of out.split('\n'))
      if (line.startsWith('{"progress"')) progress = Math.max(progress, (JSON.parse(line) as { progress: number }).progress);
    for (const w of waiters.splice(0)) if (progress >= w.n) w.resolve();
    else waiters.push(w);
  });
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const result = new Promise<EosStats>((resolve, reject) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{"result"')) reject(new Error(`the librdkafka EOS loop exited with ${code}\n${err}\n${out.slice(-2000)}`));
      else resolve((JSON.parse(last) as { result: EosStats }).result);
    });
  });
  return {
    committed: (n) => (progress >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    result,
  };
}
