/**
 * `samsa server stop [--process-role=R] [--node-id=N]` (bin/kafka-server-stop.sh): as Kafka's
 * script, finds the running brokers by their command line and sends them SIGTERM (or $SIGNAL),
 * so they shut down cleanly. It stops brokers of this installation only, those whose
 * `samsa server start` runs this copy's main.js: on a machine shared by several checkouts (or
 * test runs) another one's brokers are not its business. With --node-id or --process-role, only
 * the brokers whose configuration (properties file and --override) says so.
 */
import { readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseProperties } from '../cluster/config.js';

/** The command line of one process, and the directory its relative paths start from (when known). */
interface ProcessInfo {
  pid: number;
  argv: string[];
  cwd: string | null;
}

const MAIN_SCRIPT = realpathOrNull(fileURLToPath(new URL('./main.js', import.meta.url)));

export function stopServers(filter: { nodeId?: string; processRole?: string }, out: NodeJS.WritableStream): number {
  const signal = (process.env.SIGNAL ?? 'TERM').replace(/^SIG/, '');
  const brokers = listProcesses().filter(isOurBroker);
  if (brokers.length === 0) {
    out.write('No kafka server to stop\n');
    return 1;
  }
  for (const b of brokers) {
    if (filter.nodeId === undefined && filter.processRole === undefined) {
      process.kill(b.pid, `SIG${signal}` as NodeJS.Signals);
      continue;
    }
    const config = configOf(b);
    // As Kafka's script: node.id wins when both are given.
    const matches = filter.nodeId !== undefined ? (config['node.id'] ?? config['broker.id'] ?? '1') === filter.nodeId : config['process.roles'] === filter.processRole;
    if (matches) process.kill(b.pid, `SIG${signal}` as NodeJS.Signals);
  }
  return 0;
}

/** `node <this main.js> server start …`, with the script path resolved from the process's cwd. */
function isOurBroker(p: ProcessInfo): boolean {
  if (p.pid === process.pid || MAIN_SCRIPT === null) return false;
  const i = p.argv.findIndex((arg, n) => n > 0 && p.argv[n + 1] === 'server' && p.argv[n + 2] === 'start' && scriptPath(arg, p.cwd) === MAIN_SCRIPT);
  return i > 0;
}

function scriptPath(arg: string, cwd: string | null): string | null {
  if (!isAbsolute(arg) && cwd === null) return null;
  return realpathOrNull(isAbsolute(arg) ? arg : resolve(cwd!, arg));
}

/** The broker's settings as it started: its properties file, then its --override pairs. */
function configOf(p: ProcessInfo): Record<string, string> {
  const start = p.argv.indexOf('start');
  const args = p.argv.slice(start + 1);
  const props: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--override' || arg.startsWith('--override=')) {
      const kv = arg === '--override' ? (args[++i] ?? '') : arg.slice('--override='.length);
      const eq = kv.indexOf('=');
      if (eq > 0) props[kv.slice(0, eq)] = kv.slice(eq + 1);
    } else if (!arg.startsWith('--')) {
      const file = isAbsolute(arg) || p.cwd === null ? arg : resolve(p.cwd, arg);
      try {
        Object.assign(props, { ...parseProperties(readFileSync(file, 'utf8')), ...props });
      } catch {
        // A file gone since the start: only the overrides are known.
      }
    }
  }
  return props;
}

/** Every process's command line: from /proc on Linux, else from ps (absolute paths only). */
function listProcesses(): ProcessInfo[] {
  if (process.platform === 'linux') {
    const out: ProcessInfo[] = [];
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').slice(0, -1);
        let cwd: string | null = null;
        try {
          cwd = readlinkSync(`/proc/${name}/cwd`);
        } catch {
          // Another user's process: its cwd is hidden, its absolute paths still count.
        }
        if (argv.length > 0) out.push({ pid: Number(name), argv, cwd });
      } catch {
        // The process ended while we looked.
      }
    }
    return out;
  }
  const text = execFileSync('ps', ['-axo', 'pid=,command='], { encoding: 'utf8' });
  return text
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), argv: m[2]!.split(/\s+/), cwd: null }));
}

function realpathOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}
