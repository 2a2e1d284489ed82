/** The frame every console page shares: navigation, the flash line after an action, the live script. */
import { html, jsonScript, raw, type Html } from './html.js';

const NAV: Array<[string, string]> = [
  ['/', 'Brokers'],
  ['/topics', 'Topics'],
  ['/groups', 'Consumer groups'],
  ['/acls', 'ACLs'],
  ['/quotas', 'Quotas'],
  ['/transactions', 'Transactions'],
  ['/users', 'SCRAM users'],
];

export interface Flash {
  kind: 'ok' | 'error';
  text: string;
}

export interface PageOptions {
  title: string;
  /** The nav entry to mark, e.g. '/topics'. */
  section: string;
  body: Html;
  flash?: Flash | null;
  /** What the page's script polls (assets.ts reads it): { kind, url, intervalMs, … }. */
  live?: Record<string, unknown>;
}

export function page(o: PageOptions): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${o.title} · Samsa console</title><link rel="stylesheet" href="/assets/console.css"></head>
<body><header><b>Samsa console</b>${NAV.map(([href, label]) => html`<a href="${href}"${o.section === href ? raw(' class="on"') : ''}>${label}</a>`)}</header>
<main>${o.flash ? html`<div class="flash${o.flash.kind === 'error' ? raw(' error') : ''}" id="flash">${o.flash.text}</div>` : ''}${o.body}</main>
${o.live ? jsonScript('live', o.live) : ''}<script src="/assets/console.js" defer></script></body></html>
`;
}

/** A page that only says what went wrong (a refused request, a cluster out of reach). */
export function errorPage(title: string, message: string, section = ''): Html {
  return page({ title, section, body: html`<h1>${title}</h1><div class="flash error">${message}</div>` });
}
