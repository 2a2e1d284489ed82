/** Shared helpers for integration tests: an in-process broker and raw sockets. */
import { connect, type Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { Broker, type BrokerOptions } from '../../src/broker/broker.js';

export async function withBroker<T>(fn: (broker: Broker) => Promise<T>, opts: BrokerOptions = {}): Promise<T> {
  const broker = await Broker.start({ port: 0, ...opts });
  try {
    return await fn(broker);
  } finally {
    await broker.stop();
  }
}

/** Opens a socket to the broker and resolves once connected. */
export function rawSocket(broker: Broker): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: broker.port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves when the socket is closed by the peer (true) or after `ms` if it stays open (false). */
export function closedWithin(s: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (s.destroyed) return resolve(true);
    const t = setTimeout(() => resolve(false), ms);
    s.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** Reads one size-prefixed response frame. */
export function readFrame(s: Socket, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const t = setTimeout(() => done(new Error('no response frame within ' + timeoutMs + ' ms')), timeoutMs);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) done(null, buf.subarray(4, 4 + buf.readInt32BE(0)));
    };
    const onClose = () => done(new Error('socket closed before a response'));
    function done(err: Error | null, frame?: Buffer) {
      clearTimeout(t);
      s.off('data', onData);
      s.off('close', onClose);
      if (err) reject(err);
      else resolve(frame!);
    }
    s.on('data', onData);
    s.once('close', onClose);
  });
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command with optional stdin, collecting its output; kills it after `timeoutMs`. */
export function run(cmd: string, args: string[], opts: { input?: string | Buffer; timeoutMs?: number; env?: Record<string, string>; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...opts.env }, ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(t);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
    // A child that exits without reading its input must not fail the test with EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** Debian's Python, whose path holds the python3-kafka and python3-confluent-kafka modules. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/** Whether `cmd args` runs and exits 0 (a client tool or module is installed). */
export async function installed(cmd: string, args: string[]): Promise<boolean> {
  try {
    return (await run(cmd, args, { timeoutMs: 30_000 })).code === 0;
  } catch {
    return false;
  }
}

/** A port free on 127.0.0.1 right now, below the ephemeral range where it can be (see local-cluster.ts). */
export { freePort } from '../../src/cli/local-cluster.js';
