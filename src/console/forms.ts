/** What every console route shares: its context, and reading a form's fields into values or a 400 naming the field. */
import type { ConsoleData } from './data.js';
import type { LagHistory } from './lag-history.js';
import type { Flash } from './layout.js';
import { HttpError, Redirect, type RouteResult } from './responses.js';

export interface RouteContext {
  params: string[];
  query: URLSearchParams;
  form: URLSearchParams;
  data: ConsoleData;
  lag: LagHistory;
  flash: Flash | null;
  pollIntervalMs: number;
}

export type Handler = (ctx: RouteContext) => Promise<RouteResult>;

/** A whole-number field, or a 400 naming it. */
export function intField(value: string | null, name: string, opts: { min?: number; fallback?: number } = {}): number {
  if (value === null || value.trim() === '') {
    if (opts.fallback !== undefined) return opts.fallback;
    throw new HttpError(400, `${name} is required.`);
  }
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < (opts.min ?? Number.MIN_SAFE_INTEGER)) throw new HttpError(400, `${name} must be a whole number${opts.min !== undefined ? ` of at least ${opts.min}` : ''}, not '${value}'.`);
  return n;
}

/** Milliseconds since the epoch, or an ISO date/time. */
export function timeField(value: string, name: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(n)) throw new HttpError(400, `${name} must be milliseconds since 1970 or a date like 2024-05-01T12:00:00Z, not '${value}'.`);
  return n;
}

/** `key=value` lines (configs, headers); a line without '=' is refused. */
export function keyValueLines(text: string, what: string): Array<[string, string]> {
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const i = l.indexOf('=');
      if (i <= 0) throw new HttpError(400, `Each ${what} line must be key=value; '${l}' is not.`);
      return [l.slice(0, i).trim(), l.slice(i + 1)];
    });
}

/** One of a fixed set of values, or a 400 listing them. */
export function choiceField<T extends string>(value: string | null, name: string, choices: readonly T[]): T {
  const v = (value ?? '').trim();
  if ((choices as readonly string[]).includes(v)) return v as T;
  throw new HttpError(400, `${name} must be one of ${choices.join(', ')}, not '${v}'.`);
}

/**
 * Runs a change; its refusal (a KafkaError's sentence, or what `explain` makes of it) goes back to
 * `back` as an error line.
 */
export async function change(back: string, fn: () => Promise<string>, explain: (err: Error) => string = (err) => err.message): Promise<Redirect> {
  try {
    return new Redirect(back, { kind: 'ok', text: await fn() });
  } catch (err) {
    if (err instanceof HttpError && err.status !== 400) throw err;
    return new Redirect(back, { kind: 'error', text: err instanceof HttpError ? err.message : explain(err as Error) });
  }
}
