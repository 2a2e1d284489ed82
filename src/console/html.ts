/**
 * HTML that escapes by default: `html` is a tagged template whose every interpolated value is
 * escaped unless it is itself `Html` (made by `html` or `raw`), so a topic name, a key or a header
 * from the cluster can never become markup. Pages are built from these and nothing else.
 */

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Part = Html | string | number | boolean | null | undefined | ReadonlyArray<Part>;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function render(p: Part): string {
  if (p === null || p === undefined || p === false) return '';
  if (p instanceof Html) return p.text;
  if (Array.isArray(p)) return p.map(render).join('');
  return escapeHtml(String(p));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Html(out);
}

/** Markup written here, never from outside data (the assets, a JSON blob escaped for a script tag). */
export function raw(s: string): Html {
  return new Html(s);
}

/** JSON for a `<script type="application/json">` block: `<` escaped so no value can close the tag. */
export function jsonScript(id: string, value: unknown): Html {
  return raw(`<script type="application/json" id="${escapeHtml(id)}">${JSON.stringify(value).replace(/</g, '\\u003c')}</script>`);
}

/** A path segment: encodeURIComponent, which also escapes what HTML would care about but &. */
export function seg(s: string): string {
  return encodeURIComponent(s);
}

export function table(headers: string[], rows: Part[][], opts: { id?: string; empty?: string } = {}): Html {
  if (rows.length === 0) return html`<p class="empty">${opts.empty ?? 'Nothing to show.'}</p>`;
  return html`<table${opts.id === undefined ? '' : raw(` id="${escapeHtml(opts.id)}"`)}><thead><tr>${headers.map((h) => html`<th>${h}</th>`)}</tr></thead><tbody>${rows.map((r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>`)}</tbody></table>`;
}

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || n < 0) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

export function formatTime(ms: number): string {
  return ms < 0 ? '–' : new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC');
}

export type ValueFormat = 'text' | 'json' | 'hex';

export function parseFormat(s: string | null): ValueFormat {
  return s === 'json' || s === 'hex' ? s : 'text';
}

/** A key or value as the page shows it: UTF-8 text, pretty JSON (text when it is not JSON) or hex. */
export function formatBytesAs(b: Buffer | null, format: ValueFormat): string {
  if (b === null) return 'null';
  if (format === 'hex') return b.toString('hex').replace(/(..)(?!$)/g, '$1 ');
  const text = b.toString('utf8');
  if (format === 'json') {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      return text;
    }
  }
  return text;
}

/** `<option>`s for a select: [value, label] pairs, the one equal to `selected` marked. */
export function options(choices: ReadonlyArray<readonly [string, string]>, selected?: string): Html {
  return html`${choices.map(([value, label]) => html`<option value="${value}"${value === selected ? raw(' selected') : ''}>${label}</option>`)}`;
}

/** A form's hidden fields, one per entry. */
export function hiddenFields(fields: Record<string, string | number>): Html {
  return html`${Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}`;
}
