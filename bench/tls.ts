/**
 * The TLS part of `npm run bench` (`--only=tls`), issue 13: one broker process with a PLAINTEXT
 * and an SSL listener (a PEM keystore signed by a CA made with openssl in a temporary directory),
 * and kcat (librdkafka) running the same workload over each, alternating PLAINTEXT SSL:
 *
 *  - produce: 1 M × 100 B and 200 k × 1 KB (acks=1, linger.ms=5, batch.num.messages=10000, as
 *    the kcat rows against the mock), 1 and 8 partitions, each run into a fresh topic;
 *  - consume: the topic the first plaintext produce wrote, read from the beginning over each
 *    listener with `kcat -c N`, which exits at the Nth message (no end-of-partition wait); with
 *    kcat's defaults, then again with socket.nagle.disable=true (librdkafka 2.0.2 leaves Nagle on;
 *    over TLS it sends a Fetch request in several records, the later ones wait for the broker's
 *    delayed ACK, ~40 ms a request; confluentinc/librdkafka#4986 later made TCP_NODELAY its default).
 *
 * Each figure is the median of its runs; the ratio is TLS / plaintext throughput. Printed, never asserted.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Figure, TargetRow, Timed } from './run.js';
import { median, round, throughput } from './stats.js';

const exec = promisify(execFile);

/** A broker process as the bench sees it. */
export interface TlsBroker {
  pid: number;
  port: number;
  kill(signal: NodeJS.Signals): Promise<unknown>;
}

/** What the TLS bench borrows from bench/run.ts (passed in: run.ts runs its main on import). */
export interface TlsBenchIo {
  quick: boolean;
  progress(msg: string): void;
  record(f: Figure): void;
  targetRow(r: TargetRow): void;
  /** A line for stdout after the tables. */
  summary(line: string): void;
  messageFile(dir: string, messages: number, bytes: number): Promise<string>;
  timedRun(cmd: string, argv: string[], stdoutPath?: string): Promise<Timed>;
  cpuSeconds(pid: number): number;
  hasKcat(): boolean;
  freePort(): Promise<number>;
  startBroker(dataDir: string, overrides: Record<string, string>): Promise<TlsBroker>;
  createTopic(port: number, name: string, partitions: number): Promise<void>;
  deleteTopic(port: number, name: string): Promise<void>;
  messagesIn(port: number, topic: string, partitions: number): Promise<number>;
}

const PARTITION_COUNTS = [1, 8];
/** kcat's produce settings, as in the rows against the mock. */
const KCAT_PRODUCE = ['-X', 'acks=1', '-X', 'linger.ms=5', '-X', 'batch.num.messages=10000'];
/** The consume runs: kcat's defaults, then Nagle off (see above). */
const CONSUME_VARIANTS: ReadonlyArray<{ label: string | null; kcat: string[] }> = [
  { label: null, kcat: [] },
  { label: 'socket.nagle.disable=true', kcat: ['-X', 'socket.nagle.disable=true'] },
];

interface Listener {
  name: 'PLAINTEXT' | 'SSL';
  bootstrap: string;
  /** kcat's `-X` settings for this listener. */
  kcat: string[];
}

/** A CA and a broker certificate for 127.0.0.1 / localhost, signed in one openssl line each (OpenSSL 3's `req -CA`). */
async function makeCerts(dir: string): Promise<{ caPem: string; keystorePem: string }> {
  const openssl = (...args: string[]) => exec('openssl', args, { cwd: dir, timeout: 30_000 });
  await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=Samsa Bench CA');
  await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'broker.key', '-out', 'broker.crt', '-days', '1', '-subj', '/CN=localhost',
    '-CA', 'ca.pem', '-CAkey', 'ca.key', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-addext', 'basicConstraints=CA:FALSE');
  const keystorePem = join(dir, 'broker.pem');
  await writeFile(keystorePem, (await readFile(join(dir, 'broker.key'), 'utf8')) + (await readFile(join(dir, 'broker.crt'), 'utf8')));
  return { caPem: join(dir, 'ca.pem'), keystorePem };
}

/** The protocol and cipher suite OpenSSL's own client negotiates with the SSL listener (librdkafka uses the same library). */
function negotiated(bootstrap: string, caPem: string): string {
  const r = spawnSync('openssl', ['s_client', '-brief', '-connect', bootstrap, '-CAfile', caPem], { input: '', encoding: 'utf8', timeout: 10_000 });
  const out = `${r.stdout}${r.stderr}`;
  const protocol = /Protocol version: (\S+)/.exec(out)?.[1];
  const cipher = /Ciphersuite: (\S+)/.exec(out)?.[1];
  return protocol === undefined ? 'protocol unknown' : `${protocol} ${cipher ?? ''}`.trim();
}

interface Run {
  seconds: number[];
  brokerCpu: number[];
  clientCpu: number[];
  problems: string[];
}

const newRun = (): Run => ({ seconds: [], brokerCpu: [], clientCpu: [], problems: [] });

async function timedKcat(io: TlsBenchIo, broker: TlsBroker, run: Run, argv: string[], stdoutPath?: string): Promise<Timed> {
  const cpuBefore = io.cpuSeconds(broker.pid);
  const r = await io.timedRun('kcat', argv, stdoutPath);
  run.brokerCpu.push(io.cpuSeconds(broker.pid) - cpuBefore);
  if (r.cpu !== undefined) run.clientCpu.push(r.cpu);
  run.seconds.push(r.seconds);
  if (r.code !== 0) run.problems.push(`kcat exited ${r.code}: ${r.stderr.trim().slice(0, 120)}`);
  return r;
}

export async function benchTls(io: TlsBenchIo, workDir: string): Promise<void> {
  if (!io.hasKcat()) {
    io.targetRow({ measure: 'TLS vs plaintext', samsa: 'skipped', reference: '', ratio: '', target: '', met: 'skipped: kcat is not on PATH' });
    return;
  }
  if (spawnSync('openssl', ['version'], { stdio: 'ignore' }).status !== 0) {
    io.targetRow({ measure: 'TLS vs plaintext', samsa: 'skipped', reference: '', ratio: '', target: '', met: 'skipped: openssl is not on PATH' });
    return;
  }
  const runs = io.quick ? [{ messages: 200_000, bytes: 100 }, { messages: 40_000, bytes: 1000 }] : [{ messages: 1_000_000, bytes: 100 }, { messages: 200_000, bytes: 1000 }];
  const rounds = io.quick ? 1 : 3;
  const certDir = await mkdtemp(join(tmpdir(), 'samsa-bench-certs-'));
  let broker: TlsBroker | null = null;
  try {
    const { caPem, keystorePem } = await makeCerts(certDir);
    const sslPort = await io.freePort();
    broker = await io.startBroker(join(workDir, 'data-tls'), {
      listeners: `PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:${sslPort}`,
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': keystorePem,
    });
    const listeners: Listener[] = [
      { name: 'PLAINTEXT', bootstrap: `127.0.0.1:${broker.port}`, kcat: [] },
      { name: 'SSL', bootstrap: `127.0.0.1:${sslPort}`, kcat: ['-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${caPem}`] },
    ];
    const suite = negotiated(listeners[1]!.bootstrap, caPem);
    io.progress(`TLS broker pid ${broker.pid}: PLAINTEXT ${listeners[0]!.bootstrap}, SSL ${listeners[1]!.bootstrap} (${suite})`);
    for (const { messages, bytes } of runs) {
      const file = await io.messageFile(workDir, messages, bytes);
      for (const partitions of PARTITION_COUNTS) {
        const shape = { messages, bytes, partitions, suite, variant: null };
        const produced = new Map<string, Run>(listeners.map((l) => [l.name, newRun()]));
        let readBack: string | null = null;
        for (let r = 0; r < rounds; r++) {
          for (const l of listeners) {
            const topic = `tls-${bytes}b-${partitions}p-${l.name.toLowerCase()}-${r}`;
            await io.createTopic(broker.port, topic, partitions);
            const run = produced.get(l.name)!;
            await timedKcat(io, broker, run, ['-P', '-b', l.bootstrap, ...l.kcat, '-t', topic, ...KCAT_PRODUCE, '-l', file]);
            const stored = await io.messagesIn(broker.port, topic, partitions);
            if (stored !== messages) run.problems.push(`broker holds ${stored} of ${messages}`);
            if (readBack === null) readBack = topic;
            else await io.deleteTopic(broker.port, topic);
          }
        }
        report(io, 'produce', listeners, produced, shape);
        const out = join(workDir, 'tls-consumed.txt');
        for (const variant of CONSUME_VARIANTS) {
          const consumed = new Map<string, Run>(listeners.map((l) => [l.name, newRun()]));
          for (let r = 0; r < rounds; r++) {
            for (const l of listeners) {
              const run = consumed.get(l.name)!;
              await timedKcat(io, broker, run, ['-C', '-b', l.bootstrap, ...l.kcat, ...variant.kcat, '-t', readBack!, '-o', 'beginning', '-c', String(messages), '-q'], out);
              const got = (await stat(out)).size;
              if (got !== messages * (bytes + 1)) run.problems.push(`read ${got} of ${messages * (bytes + 1)} bytes`);
            }
          }
          report(io, 'consume', listeners, consumed, { ...shape, variant: variant.label });
        }
        await rm(out, { force: true });
        await io.deleteTopic(broker.port, readBack!);
      }
      await rm(file, { force: true });
    }
  } finally {
    await broker?.kill('SIGTERM');
    await rm(certDir, { recursive: true, force: true });
  }
}

/** One figure per listener, then the ratio TLS / plaintext as a targets row and a summary line. */
function report(io: TlsBenchIo, op: 'produce' | 'consume', listeners: Listener[], runs: Map<string, Run>, shape: { messages: number; bytes: number; partitions: number; suite: string; variant: string | null }): void {
  const { messages, bytes, partitions, suite, variant } = shape;
  const rates = new Map<string, ReturnType<typeof throughput>>();
  for (const l of listeners) {
    const run = runs.get(l.name)!;
    const t = throughput(median(run.seconds), messages, bytes);
    rates.set(l.name, t);
    const how = op === 'produce' ? 'a fresh topic per run' : 'from the beginning with -c';
    io.record({
      section: op, client: `kcat→samsa ${l.name}`, what: `${messages} × ${bytes} B${variant === null ? '' : `, ${variant}`}`, messages, messageBytes: bytes, partitions, acks: op === 'produce' ? '1' : undefined, ...t,
      brokerCpuSeconds: round(median(run.brokerCpu), 2), clientCpuSeconds: run.clientCpu.length > 0 ? round(median(run.clientCpu), 2) : undefined,
      note: `median of ${run.seconds.length}, alternating PLAINTEXT SSL, ${how}; ${run.seconds.map((s) => s.toFixed(2)).join(', ')} s${l.name === 'SSL' ? `; ${suite}` : ''}${run.problems.length > 0 ? `; ${[...new Set(run.problems)].join('; ')}` : ''}`,
    });
  }
  const plain = rates.get('PLAINTEXT')!;
  const tls = rates.get('SSL')!;
  const ratio = tls.mbPerSec! / plain.mbPerSec!;
  const what = `${messages} × ${bytes} B, ${partitions} partition${partitions > 1 ? 's' : ''}${variant === null ? '' : `, ${variant}`}`;
  io.targetRow({
    measure: `TLS ${op} ${what}${op === 'produce' ? ', acks=1' : ''}, kcat, same broker`,
    samsa: `SSL ${tls.mbPerSec!.toFixed(0)} MB/s`, reference: `PLAINTEXT ${plain.mbPerSec!.toFixed(0)} MB/s`, ratio: ratio.toFixed(2), target: '', met: '',
  });
  io.summary(`TLS ${op} ${tls.mbPerSec!.toFixed(0)} MB/s = ${ratio.toFixed(2)}× plaintext (${plain.mbPerSec!.toFixed(0)} MB/s; ${what})`);
}
