/**
 * What every tool shares: flag parsing with sentences instead of stack traces, help text built
 * from the same flag table, `key=value` lists, and the mapping from errors to exit codes.
 */
import { parseArgs } from 'node:util';
import { ClientError, KafkaError } from '../client/errors.js';

/** The streams a tool talks to; tests pass their own. */
export interface Io {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** A tool's entry point: its arguments (after the tool name) in, an exit code out. */
export type Tool = (argv: string[], io: Io) => Promise<number>;

/** A mistake in how the tool was called: printed as one sentence, exit code 1. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly code = 'SAMSA_USAGE';
}

export interface FlagSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  /** Shown in help as `--flag <value>`. */
  value?: string;
  help: string;
}

export type FlagTable = Record<string, FlagSpec>;

export interface ToolSpec {
  name: string;
  usage: string;
  summary: string;
  flags: FlagTable;
  allowPositionals?: boolean;
}

export type ParsedFlags = Record<string, string | boolean | string[] | boolean[] | undefined>;

/** Parses argv strictly; every parse failure becomes a UsageError that says what to do. */
export function parseFlags(spec: ToolSpec, argv: string[]): { values: ParsedFlags; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = { help: { type: 'boolean' } };
  for (const [name, f] of Object.entries(spec.flags)) options[name] = f.multiple ? { type: f.type, multiple: true } : { type: f.type };
  try {
    const args = joinNegativeNumbers(spec, argv);
    const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals: spec.allowPositionals ?? false });
    return { values: values as ParsedFlags, positionals };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS')) throw err;
    throw new UsageError(describeParseError(spec, err as Error & { code?: string }));
  }
}

/**
 * Kafka's tools take `--throughput -1`, `--time -2`, `--shift-by -3`; Node's parser would read the
 * number as an option, so a negative number after a flag that takes a value becomes `--flag=-1`.
 */
function joinNegativeNumbers(spec: ToolSpec, argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const takesValue = arg.startsWith('--') && spec.flags[arg.slice(2)]?.type === 'string';
    if (takesValue && next !== undefined && /^-\d+(\.\d+)?$/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

function describeParseError(spec: ToolSpec, err: Error & { code?: string }): string {
  const quoted = /'([^']*)'/.exec(err.message)?.[1] ?? '';
  const helpHint = `Run 'samsa ${spec.name} --help' to see the options it accepts.`;
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `samsa ${spec.name} does not know the option '${quoted}'. ${helpHint}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const flag = quoted.split(' ')[0] ?? quoted;
      const f = spec.flags[flag.replace(/^--/, '')];
      if (f?.type === 'boolean') return `The option '${flag}' takes no value. ${helpHint}`;
      return `The option '${flag}' needs a value, as in '${flag} <${f?.value ?? 'value'}>'.`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `samsa ${spec.name} does not take the argument '${quoted}'; options start with '--'. ${helpHint}`;
    default:
      return `${err.message}. ${helpHint}`;
  }
}

export function helpText(spec: ToolSpec): string {
  const rows = Object.entries(spec.flags).map(([name, f]) => {
    const left = `  --${name}${f.value ? ` <${f.value}>` : ''}`;
    return { left, help: f.help + (f.multiple ? ' (repeatable)' : '') };
  });
  rows.push({ left: '  --help', help: 'Print this help and exit.' });
  const width = Math.max(...rows.map((r) => r.left.length)) + 2;
  const lines = rows.map((r) => r.left.padEnd(width) + r.help);
  return `${spec.summary}\n\nUsage: ${spec.usage}\n\nOptions:\n${lines.join('\n')}\n`;
}

export function str(values: ParsedFlags, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function bool(values: ParsedFlags, name: string): boolean {
  return values[name] === true;
}

export function list(values: ParsedFlags, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** A whole number from a flag, or a UsageError naming the flag. */
export function int(values: ParsedFlags, name: string, opts: { min?: number } = {}): number | undefined {
  const text = str(values, name);
  if (text === undefined) return undefined;
  const n = Number(text);
  const min = opts.min ?? Number.MIN_SAFE_INTEGER;
  if (text.trim() === '' || !Number.isSafeInteger(n) || n < min) {
    const range = opts.min === undefined ? 'a whole number' : `a whole number of at least ${min}`;
    throw new UsageError(`--${name} must be ${range}, not '${text}'.`);
  }
  return n;
}

/** Parses repeated `key=value` flags (Kafka's --property, --config, --override). */
export function keyValues(items: string[], flag: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${flag} expects key=value, as in '--${flag} name=value', not '${item}'.`);
    out.set(item.slice(0, eq).trim(), item.slice(eq + 1));
  }
  return out;
}

/**
 * Rewrites flags that take several values in one go (argparse's `nargs='+'`, as in Kafka's
 * `--producer-props a=1 b=2`) into one flag per value, which parseFlags understands.
 */
export function spreadMultiValueFlags(argv: string[], names: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    out.push(arg);
    if (!names.includes(arg.replace(/^--/, '')) || !arg.startsWith('--')) continue;
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) continue;
    out.push(next);
    i += 1;
    while (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) out.push(arg, argv[++i]!);
  }
  return out;
}

/** --bootstrap-server, required by every client tool. */
export function bootstrapServer(values: ParsedFlags, ...aliases: string[]): string {
  for (const name of ['bootstrap-server', ...aliases]) {
    const v = str(values, name);
    if (v !== undefined) return v;
  }
  throw new UsageError(`--bootstrap-server is required, as in '--bootstrap-server localhost:9092'.`);
}

/** Turns a tool's failure into a message on stderr and exit code 1; no stack for known errors. */
export function reportError(err: unknown, io: Io): number {
  if (err instanceof UsageError) {
    io.stderr.write(`${err.message}\n`);
  } else if (err instanceof KafkaError || err instanceof ClientError) {
    io.stderr.write(`Error: ${err.message}\n`);
  } else if (err instanceof Error && (err.name === 'ConfigError' || err.name === 'DeserializationError' || (err as { code?: string }).code === 'ENOENT')) {
    io.stderr.write(`Error: ${err.message}\n`);
  } else {
    // Unexpected: a bug, so the stack helps whoever reports it.
    io.stderr.write(`Unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  return 1;
}

/** Writes to a stream, waiting for 'drain' when it is full so large outputs do not pile up in memory. */
export async function writeOut(stream: NodeJS.WritableStream, data: string | Buffer): Promise<void> {
  if (stream.write(data)) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('error', done);
      stream.off('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('error', done);
    stream.once('close', done);
  });
}
