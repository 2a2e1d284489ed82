/**
 * An idempotent acks=all librdkafka producer (Debian's confluent-kafka) in its own process: the
 * values 0..n-1, keyed by value, a progress line per 500 acknowledgements, then every acknowledged
 * value, so a test can check that nothing acknowledged was lost or duplicated.
 */
import { spawn } from 'node:child_process';
import { SYSTEM_PYTHON } from './broker.js';

/** An idempotent acks=all librdkafka producer: values 0..n-1 keyed by value; prints a line per 500 acks, then the acked values. */
const PRODUCER = `
import sys, json, time
from confluent_kafka import Producer
bootstrap, topic, n, extra = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
p = Producer({'bootstrap.servers': bootstrap, 'enable.idempotence': True, 'acks': 'all', 'linger.ms': 5,
              'retry.backoff.ms': 100, 'topic.metadata.refresh.interval.ms': 1000, 'message.timeout.ms': 120000, **extra})
acked, errors = [], []
def done(err, msg):
    if err is not None:
        errors.append(str(err))
    else:
        acked.append(int(msg.value()))
        if len(acked) % 500 == 0:
            print(json.dumps({'progress': len(acked)}), flush=True)
for i in range(n):
    while True:
        try:
            p.produce(topic, key=str(i), value=str(i), on_delivery=done)
            break
        except BufferError:
            p.poll(0.05)
    p.poll(0)
    if i % 100 == 99:
        time.sleep(0.02)
left = p.flush(120)
print(json.dumps({'acked': acked, 'errors': errors[:10], 'errorCount': len(errors), 'unflushed': left}), flush=True)
`;

export interface ProducerRun {
  progress: Promise<void>;
  /** `log`: the last of librdkafka's log lines (its stderr), for a failure's message. */
  result: Promise<{ acked: number[]; errors: string[]; errorCount: number; unflushed: number; log: string }>;
}

export function librdkafkaProducer(bootstrap: string, topic: string, n: number, progressAt: number, config: Record<string, string | number> = {}): ProducerRun {
  const child = spawn(SYSTEM_PYTHON, ['-c', PRODUCER, bootstrap, topic, String(n), JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let reached!: () => void;
  const progress = new Promise<void>((r) => (reached = r));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    for (const line of out.split('\n')) if (line.startsWith('{"progress"') && (JSON.parse(line) as { progress: number }).progress >= progressAt) reached();
  });
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
  const result = new Promise<ProducerRun['result'] extends Promise<infer T> ? T : never>((resolve, reject) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{"acked"')) reject(new Error(`the librdkafka producer exited with ${code}\n${err}`));
      else resolve({ ...JSON.parse(last), log: err });
    });
  });
  return { progress, result };
}
