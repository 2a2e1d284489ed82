/**
 * Structured, levelled logging on stderr, quiet (warn) by default: one JSON object a line, or, for
 * a person at a terminal, one readable line (`SAMSA_LOG_FORMAT=pretty|json`; pretty by default
 * when stderr is a TTY). `SAMSA_LOG_LEVEL` is a level, optionally followed by levels per
 * component — the `component` a child logger names, e.g. `info,replication=debug,etcd=error` —
 * as Kafka's log4j sets levels per logger.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFormat = 'json' | 'pretty';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };
const LEVELS = Object.keys(RANK) as LogLevel[];
const FORMATS: readonly LogFormat[] = ['json', 'pretty'];

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export interface LogSettings {
  /** The level of loggers whose component has none of its own. */
  level: LogLevel;
  /** Levels by component (a child logger's `component` field). */
  components: Readonly<Record<string, LogLevel>>;
  format: LogFormat;
}

/** SAMSA_LOG_LEVEL or SAMSA_LOG_FORMAT says something this logger does not know. */
export class LogSettingsError extends Error {
  override name = 'LogSettingsError';
}

function isLevel(s: string): s is LogLevel {
  return (LEVELS as string[]).includes(s);
}

/**
 * The settings the environment asks for; throws LogSettingsError with a sentence naming the
 * variable and what it may be.
 */
export function parseLogSettings(env: Record<string, string | undefined> = process.env, defaults: { level?: LogLevel; tty?: boolean } = {}): LogSettings {
  let level: LogLevel = defaults.level ?? 'warn';
  const components: Record<string, LogLevel> = {};
  const spec = env['SAMSA_LOG_LEVEL']?.trim() ?? '';
  for (const part of spec === '' ? [] : spec.split(',')) {
    const entry = part.trim().toLowerCase();
    const eq = entry.indexOf('=');
    const [name, value] = eq < 0 ? [null, entry] : [entry.slice(0, eq).trim(), entry.slice(eq + 1).trim()];
    if (!isLevel(value) || name === '') {
      throw new LogSettingsError(`SAMSA_LOG_LEVEL=${spec} is not valid: '${part.trim()}' should be a level (${LEVELS.join(', ')}) or component=level, e.g. info,replication=debug.`);
    }
    if (name === null) level = value;
    else components[name] = value;
  }
  const fmt = env['SAMSA_LOG_FORMAT']?.trim().toLowerCase() ?? '';
  if (fmt !== '' && !(FORMATS as string[]).includes(fmt)) {
    throw new LogSettingsError(`SAMSA_LOG_FORMAT=${env['SAMSA_LOG_FORMAT']} is not valid: use json (one JSON object a line) or pretty (one readable line).`);
  }
  const format: LogFormat = fmt === '' ? ((defaults.tty ?? process.stderr.isTTY === true) ? 'pretty' : 'json') : (fmt as LogFormat);
  return { level, components, format };
}

/** The environment's settings for a library logger: a bad variable is reported once, then the defaults apply. */
let reportedBadEnv = false;
function settingsFromEnv(): LogSettings {
  try {
    return parseLogSettings();
  } catch (err) {
    if (!reportedBadEnv) {
      reportedBadEnv = true;
      process.stderr.write(`samsa: ${(err as Error).message} Logging at warn.\n`);
    }
    return { level: 'warn', components: {}, format: process.stderr.isTTY === true ? 'pretty' : 'json' };
  }
}

export function createLogger(
  level?: LogLevel | LogSettings,
  base: Record<string, unknown> = {},
  sink: (line: string) => void = (line) => process.stderr.write(line + '\n'),
): Logger {
  const settings: LogSettings = level === undefined ? settingsFromEnv() : typeof level === 'string' ? { level, components: {}, format: 'json' } : level;
  const component = typeof base['component'] === 'string' ? base['component'].toLowerCase() : undefined;
  const own = component === undefined ? undefined : settings.components[component];
  const min = RANK[own ?? settings.level] ?? RANK.warn;
  const format = settings.format === 'pretty' ? pretty : json;
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (RANK[lvl] < min) return;
    const extra: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(fields ?? {})) extra[k] = v instanceof Error ? v.message : v;
    sink(format(new Date().toISOString(), lvl, msg, { ...base, ...extra }));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(settings, { ...base, ...fields }, sink),
  };
}

function json(time: string, level: LogLevel, msg: string, fields: Record<string, unknown>): string {
  return JSON.stringify({ time, level, msg, ...fields });
}

/** `2026-12-04T04:12:00.123Z INFO  [replication] caught up topic=t partition=0 note="two words"` */
function pretty(time: string, level: LogLevel, msg: string, fields: Record<string, unknown>): string {
  const { component, ...rest } = fields;
  const where = component === undefined ? '' : ` [${String(component)}]`;
  const pairs = Object.entries(rest).map(([k, v]) => ` ${k}=${prettyValue(v)}`).join('');
  return `${time} ${level.toUpperCase().padEnd(5)}${where} ${msg}${pairs}`;
}

function prettyValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (v === undefined) return 'undefined';
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

export const silentLogger: Logger = createLogger('silent');
