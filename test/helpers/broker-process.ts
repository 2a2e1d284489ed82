/**
 * A broker in a child process (so that a test can SIGKILL it) and a bare wire client that speaks
 * the protocol through `src/protocol` with nothing of `src/client` in between.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Writer } from '../../src/protocol/writer.js';
import { Reader } from '../../src/protocol/reader.js';
import { encodeRequestHeader, decodeResponseHeader } from '../../src/protocol/headers.js';
import { codecFor, isFlexible, type MessageSchema } from '../../src/protocol/schema.js';
import { API_SCHEMAS } from '../../src/protocol/apis.js';
import { freePort } from '../../src/cli/local-cluster.js';

/** dist/src/cli/main.js, found from this file's place in dist/test/helpers/. */
export const CLI_PATH = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** How long a broker process may take to say it is listening before the helper gives up. */
const READY_TIMEOUT_MS_DEFAULT = 15_000;
/** The line `samsa server start` prints once its listener is bound. */
const LISTENING_LINE = /listening on (\S+):(\d+)/;

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface BrokerProcess {
  child: ChildProcess;
  pid: number;
  host: string;
  port: number;
  bootstrap: string;
  dataDir: string;
  /** Everything the process wrote to stderr so far (its JSON log lines). */
  stderr(): string;
  /** Resolves once the process has exited, however it ended. */
  exited: Promise<ExitStatus>;
  /** Sends a signal and waits for the process to exit. */
  kill(signal: NodeJS.Signals): Promise<ExitStatus>;
}

export interface BrokerProcessOptions {
  dataDir: string;
  /** `server.properties` keys passed as `--override key=value`. */
  overrides?: Record<string, string>;
  /** 0 (the default) lets the broker pick a free port. */
  port?: number;
  /** Extra environment, e.g. `{ SAMSA_LOG_LEVEL: 'debug' }`. */
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  /** Flags for node itself, e.g. `['--cpu-prof', '--cpu-prof-dir=/tmp/prof']`. */
  nodeArgs?: string[];
}

/** Starts `samsa server start` as a child process and resolves once it is listening. */
export async function startBrokerProcess(opts: BrokerProcessOptions): Promise<BrokerProcess> {
  // A port of our choosing rather than 0: a test that restarts the broker on the same port must not
  // find it taken by an outgoing connection (see freePort).
  const port = opts.port === undefined || opts.port === 0 ? await freePort() : opts.port;
  const overrides: Record<string, string> = {
    'log.dirs': opts.dataDir,
    listeners: `PLAINTEXT://127.0.0.1:${port}`,
    ...opts.overrides,
  };
  const args = [...(opts.nodeArgs ?? []), CLI_PATH, 'server', 'start', ...Object.entries(overrides).flatMap(([k, v]) => ['--override', `${k}=${v}`])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<ExitStatus>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(`the broker did not report listening within ${opts.readyTimeoutMs ?? READY_TIMEOUT_MS_DEFAULT} ms`);
    }, opts.readyTimeoutMs ?? READY_TIMEOUT_MS_DEFAULT);
    function fail(why: string): void {
      clearTimeout(timer);
      reject(new Error(`${why}\nstdout: ${stdout}\nstderr: ${stderr}`));
    }
    void exited.then((s) => fail(`the broker exited before listening (code ${s.code}, signal ${s.signal})`));
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = LISTENING_LINE.exec(stdout);
      if (m === null) return;
      clearTimeout(timer);
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      const host = m[1]!;
      const port = Number(m[2]);
      resolve({
        child,
        pid: child.pid!,
        host,
        port,
        bootstrap: `${host}:${port}`,
        dataDir: opts.dataDir,
        stderr: () => stderr,
        exited,
        kill(signal) {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    });
  });
}

/** Bytes of the size prefix of every Kafka frame. */
const SIZE_PREFIX_BYTES = 4;
/** A response that takes longer than this is a hang, not a slow broker. */
const REQUEST_TIMEOUT_MS_DEFAULT = 10_000;

interface Pending {
  apiKey: number;
  version: number;
  response: MessageSchema;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** One connection; requests may be pipelined, responses are matched by correlation id. */
export class WireClient {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly pending = new Map<number, Pending>();
  private nextCorrelationId = 1;
  private closedError: Error | null = null;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', () => {});
    socket.on('close', () => this.failAll(new Error('connection closed by the broker')));
  }

  static connect(port: number, host = '127.0.0.1'): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port }, () => {
        s.off('error', reject);
        resolve(new WireClient(s));
      });
      s.once('error', reject);
    });
  }

  /** Sends a request whose body is encoded from the schemas in `src/protocol/apis.ts`. */
  request<Resp = any>(apiKey: number, version: number, body: object, timeoutMs = REQUEST_TIMEOUT_MS_DEFAULT): Promise<Resp> {
    const schemas = API_SCHEMAS.get(apiKey);
    if (schemas === undefined) throw new Error(`no schema for api key ${apiKey}`);
    const correlationId = this.nextCorrelationId++;
    const w = new Writer();
    encodeRequestHeader(w, { apiKey, apiVersion: version, correlationId, clientId: 'wire-client' }, isFlexible(schemas.request, version));
    codecFor<object>(schemas.request, version).encode(w, body);
    return new Promise<Resp>((resolve, reject) => {
      if (this.closedError !== null) return reject(this.closedError);
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new Error(`no response to api key ${apiKey} v${version} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(correlationId, { apiKey, version, response: schemas.response, resolve: resolve as (v: unknown) => void, reject, timer });
      this.socket.write(frame(w.toBuffer()));
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(d: Buffer): void {
    this.buffered = this.buffered.length === 0 ? d : Buffer.concat([this.buffered, d]);
    while (this.buffered.length >= SIZE_PREFIX_BYTES) {
      const size = this.buffered.readInt32BE(0);
      if (this.buffered.length < SIZE_PREFIX_BYTES + size) return;
      const body = this.buffered.subarray(SIZE_PREFIX_BYTES, SIZE_PREFIX_BYTES + size);
      this.buffered = this.buffered.subarray(SIZE_PREFIX_BYTES + size);
      const correlationId = body.readInt32BE(0);
      const p = this.pending.get(correlationId);
      if (p === undefined) continue;
      this.pending.delete(correlationId);
      clearTimeout(p.timer);
      try {
        const r = new Reader(body);
        decodeResponseHeader(r, p.apiKey, isFlexible(p.response, p.version));
        p.resolve(codecFor(p.response, p.version).decode(r));
      } catch (err) {
        p.reject(err as Error);
      }
    }
  }

  private failAll(err: Error): void {
    this.closedError = err;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }
}

/** Prefixes a request body with its size. */
export function frame(body: Buffer): Buffer {
  const size = Buffer.alloc(SIZE_PREFIX_BYTES);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}
