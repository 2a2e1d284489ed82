/**
 * LinkedIn's Burrow (Debian's `burrow` package, 1.2), the consumer-lag checker Kafka users run,
 * for the lag tests: it reads the committed offsets from `__consumer_offsets` itself (Kafka's record
 * format) and the brokers' log end offsets, and serves each group's lag over HTTP. Burrow 1.2 keeps
 * its lock in ZooKeeper, so a standalone ZooKeeper (Debian's `zookeeper` package) is started first,
 * on a free loopback port with its data in the same temp dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, installed } from './broker.js';

export const BURROW_INSTALL_HINT = "install Debian's burrow and zookeeper packages (apt-get install burrow zookeeper)";
const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';

export async function haveBurrow(): Promise<boolean> {
  return existsSync(ZOOKEEPER_JAR) && (await installed('java', ['-version'])) && existsSync('/usr/bin/Burrow');
}

/** What Burrow says of one partition of a group (GET /v3/kafka/<cluster>/consumer/<group>/lag). */
export interface BurrowPartition {
  topic: string;
  partition: number;
  current_lag: number;
  end: { offset: number } | null;
}

export interface BurrowProcess {
  /** The group's partitions as Burrow last evaluated them; null while Burrow does not know the group. */
  lag(group: string): Promise<BurrowPartition[] | null>;
  /** The groups Burrow has read from __consumer_offsets. */
  groups(): Promise<string[]>;
  stop(): Promise<void>;
}

function spawnLogged(cmd: string, args: string[], cwd: string): { child: ChildProcess; output: () => string; exited: Promise<void> } {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out = (out + d).slice(-4000)));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out = (out + d).slice(-4000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return { child, output: () => out, exited };
}

async function until(what: string, ok: () => Promise<boolean>, alive: () => boolean, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await ok())) {
    if (!alive() || Date.now() > deadline) throw new Error(`${what} did not start:\n${output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * ZooKeeper answers its `srvr` four-letter word once it serves clients (an open port comes
 * earlier); a starting ZooKeeper may take the connection and say nothing, so each try gives up
 * after a second.
 */
const zookeeperServing = (port: number) =>
  new Promise<boolean>((resolve) => {
    let reply = '';
    const s = connect(port, '127.0.0.1', () => s.write('srvr'));
    s.setTimeout(1000, () => s.destroy());
    s.setEncoding('utf8').on('data', (d: string) => (reply += d));
    s.on('close', () => resolve(/Mode: standalone/.test(reply)));
    s.on('error', () => resolve(false));
  });

/** Starts ZooKeeper, then Burrow watching the broker at `bootstrap` (its offsets refreshed every second). */
export async function startBurrow(bootstrap: string): Promise<BurrowProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-burrow-'));
  const zkPort = await freePort();
  const httpPort = await freePort();
  await writeFile(join(dir, 'zoo.cfg'), [`dataDir=${join(dir, 'zk')}`, `clientPort=${zkPort}`, 'clientPortAddress=127.0.0.1', 'tickTime=2000', 'admin.enableServer=false', ''].join('\n'));
  const zk = spawnLogged('java', ['-Xmx128m', '-cp', ZOOKEEPER_JAR, 'org.apache.zookeeper.server.ZooKeeperServerMain', join(dir, 'zoo.cfg')], dir);
  let burrow: ReturnType<typeof spawnLogged> | null = null;
  // SIGTERM, then SIGKILL if a process has not gone within 5 s: a test never waits on them for ever.
  const stop = async () => {
    for (const p of [burrow, zk]) {
      if (p === null || p.child.exitCode !== null || p.child.signalCode !== null) continue;
      p.child.kill('SIGTERM');
      const timer = setTimeout(() => p.child.kill('SIGKILL'), 5000);
      await p.exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await until('ZooKeeper', () => zookeeperServing(zkPort), () => zk.child.exitCode === null, zk.output);
    const servers = `[ "${bootstrap}" ]`;
    await writeFile(join(dir, 'burrow.toml'), [
      '[general]', `pidfile="${join(dir, 'burrow.pid')}"`,
      '[logging]', 'level="warn"',
      '[zookeeper]', `servers=[ "127.0.0.1:${zkPort}" ]`, 'root-path="/burrow"',
      '[client-profile.samsa]', 'client-id="burrow"', 'kafka-version="2.1.0"',
      '[cluster.local]', 'class-name="kafka"', `servers=${servers}`, 'client-profile="samsa"', 'topic-refresh=2', 'offset-refresh=1',
      '[consumer.local]', 'class-name="kafka"', 'cluster="local"', `servers=${servers}`, 'client-profile="samsa"',
      '[httpserver.default]', `address="127.0.0.1:${httpPort}"`,
      '[storage.default]', 'class-name="inmemory"', 'intervals=10', 'min-distance=1',
      '',
    ].join('\n'));
    burrow = spawnLogged('/usr/bin/Burrow', ['--config-dir', dir], dir);
    const b = burrow;
    const url = `http://127.0.0.1:${httpPort}`;
    // Every request to Burrow is bounded (2 s), so a Burrow that stops answering fails a wait instead of hanging it.
    const get = async (path: string): Promise<any> => {
      const r = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
      return r !== null && r.ok ? r.json().catch(() => null) : null;
    };
    await until('Burrow', () => fetch(`${url}/burrow/admin`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false), () => b.child.exitCode === null, b.output);
    return {
      async lag(group) {
        const body = await get(`/v3/kafka/local/consumer/${encodeURIComponent(group)}/lag`);
        return body === null || body.error === true ? null : (body.status.partitions as BurrowPartition[]);
      },
      async groups() {
        return ((await get('/v3/kafka/local/consumer'))?.consumers as string[] | undefined) ?? [];
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
