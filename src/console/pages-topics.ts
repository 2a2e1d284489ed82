/** Topic pages: the list with its create form, one topic (partitions, configs, changes), its messages, producing. */
import type { ConfigDescription, ConsumerMessage } from '../client/index.js';
import { ConfigSourceName } from '../client/index.js';
import type { BrowseResult, TopicView } from './data.js';
import { formatBytes, formatBytesAs, formatTime, html, seg, table, type Html, type ValueFormat } from './html.js';

export function topicsBody(topics: TopicView[]): Html {
  const rows = topics.map((t) => [
    html`<a href="/topics/${seg(t.name)}">${t.name}</a>${t.isInternal ? html` <span class="muted">(internal)</span>` : ''}`,
    t.partitions.length,
    t.partitions[0]?.replicas.length ?? 0,
    t.partitions.reduce((s, p) => s + Math.max(0, p.endOffset - p.startOffset), 0),
    formatBytes(t.partitions.every((p) => p.sizeBytes === null) ? null : t.partitions.reduce((s, p) => s + (p.sizeBytes ?? 0), 0)),
    t.partitions.filter((p) => p.isr.length < p.replicas.length).length,
  ]);
  return html`<h1>Topics</h1>
<form class="card" method="post" action="/topics" id="create-topic">
<label>Name<input name="name" required></label>
<label>Partitions<input name="partitions" type="number" min="1" value="1"></label>
<label>Replication factor<input name="replicationFactor" type="number" min="-1" value="-1"></label>
<label>Configs (key=value, one a line)<textarea name="configs" rows="1"></textarea></label>
<button type="submit">Create topic</button></form>
${table(['Topic', 'Partitions', 'Replicas', 'Messages', 'Size', 'Under-replicated'], rows, { id: 'topics', empty: 'No topics yet.' })}`;
}

export function topicBody(t: TopicView, configs: ConfigDescription[]): Html {
  const name = seg(t.name);
  const parts = t.partitions.map((p) => html`<tr data-partition="${p.partition}"><td>${p.partition}</td><td>${p.leader < 0 ? 'none' : p.leader}</td><td>${p.replicas.join(', ')}</td><td>${p.isr.join(', ')}</td><td class="num start">${p.startOffset}</td><td class="num end">${p.endOffset}</td><td class="num">${formatBytes(p.sizeBytes)}</td><td><a href="/topics/${name}/messages?partition=${p.partition}">messages</a></td></tr>`);
  const cfgRows = configs
    .filter((c) => !c.isSensitive)
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((c) => [c.source === 1 ? html`<b>${c.name}</b>` : c.name, c.value ?? 'null', ConfigSourceName[c.source] ?? String(c.source)]);
  return html`<h1>Topic ${t.name}</h1>
<p class="muted">Topic id ${t.topicId}${t.isInternal ? ' · internal' : ''} · <a href="/topics/${name}/messages">browse messages</a> · <a href="/topics/${name}/produce">produce a message</a></p>
<div class="stats"><div><div class="muted">Messages</div><div class="big" id="total-messages">${t.partitions.reduce((s, p) => s + Math.max(0, p.endOffset - p.startOffset), 0)}</div></div></div>
<h2>Throughput</h2><svg class="chart" id="rate-chart" width="720" height="160"></svg>
<h2>Partitions</h2>
<table id="partitions"><thead><tr><th>Partition</th><th>Leader</th><th>Replicas</th><th>ISR</th><th class="num">Start offset</th><th class="num">End offset</th><th class="num">Size</th><th></th></tr></thead><tbody>${parts}</tbody></table>
<form class="inline" method="post" action="/topics/${name}/partitions"><label>Partitions in all<input name="count" type="number" min="${t.partitions.length + 1}" value="${t.partitions.length + 1}"></label><button>Add partitions</button></form>
<h2>Configs</h2>
<form class="inline" method="post" action="/topics/${name}/configs" id="alter-config"><input name="key" placeholder="retention.ms" required><input name="value" placeholder="value (empty resets to default)"><button>Set config</button></form>
${table(['Name', 'Value', 'Source'], cfgRows)}
<h2>Delete</h2>
<form class="inline" method="post" action="/topics/${name}/delete" data-confirm="Delete this topic and all its messages?"><button class="danger">Delete topic ${t.name}</button></form>`;
}

export interface BrowseView {
  topic: TopicView;
  partition: number;
  format: ValueFormat;
  filter: string;
  offset: string;
  timestamp: string;
  limit: number;
  result: BrowseResult;
}

/** The rows of messages the filter keeps: the browse page's table body, and what a live tail appends. */
export function messageRows(messages: ConsumerMessage[], format: ValueFormat, filter: string): { rows: Html; count: number } {
  const kept = messages.filter((m) => filter === '' || matches(m, filter));
  const rows = kept.map(
    (m) => html`<tr><td class="num">${m.partition}</td><td class="num">${m.offset}</td><td>${formatTime(m.timestamp)}</td><td><pre>${formatBytesAs(m.key, format)}</pre></td><td><pre class="value">${formatBytesAs(m.value, format)}</pre></td><td>${m.headers.map((h) => html`<pre>${h.key}: ${formatBytesAs(h.value, format)}</pre>`)}</td></tr>`,
  );
  return { rows: html`${rows}`, count: kept.length };
}

function matches(m: ConsumerMessage, filter: string): boolean {
  const needle = filter.toLowerCase();
  const texts = [m.key, m.value, ...m.headers.flatMap((h) => [Buffer.from(h.key), h.value])];
  return texts.some((b) => b !== null && b.toString('utf8').toLowerCase().includes(needle));
}

export function messagesBody(v: BrowseView): Html {
  const name = seg(v.topic.name);
  const { rows, count } = messageRows(v.result.messages, v.format, v.filter);
  const option = (value: string, label: string, selected: boolean): Html => html`<option value="${value}"${selected ? html` selected` : ''}>${label}</option>`;
  return html`<h1>Messages in <a href="/topics/${name}">${v.topic.name}</a></h1>
<form class="card" method="get" action="/topics/${name}/messages" id="browse">
<label>Partition<select name="partition">${v.topic.partitions.map((p) => option(String(p.partition), String(p.partition), p.partition === v.partition))}</select></label>
<label>From offset<input name="offset" value="${v.offset}" placeholder="newest"></label>
<label>Or from time<input name="timestamp" value="${v.timestamp}" placeholder="2024-01-01T00:00:00Z or ms"></label>
<label>Limit<input name="limit" type="number" min="1" max="500" value="${v.limit}"></label>
<label>Show as<select name="format">${option('text', 'text', v.format === 'text')}${option('json', 'JSON', v.format === 'json')}${option('hex', 'hex', v.format === 'hex')}</select></label>
<label>Filter<input name="filter" value="${v.filter}" placeholder="text in key, value or headers"></label>
<button type="submit">Show</button>
<label><span>Live tail</span><input type="checkbox" id="tail"></label></form>
<p class="muted">Partition ${v.partition}: offsets ${v.result.startOffset} to ${v.result.endOffset} · showing <span id="shown-count">${count}</span> · <a href="/topics/${name}/produce">produce a message</a></p>
<table id="messages"><thead><tr><th class="num">Partition</th><th class="num">Offset</th><th>Timestamp</th><th>Key</th><th>Value</th><th>Headers</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function produceBody(t: TopicView): Html {
  const name = seg(t.name);
  return html`<h1>Produce to <a href="/topics/${name}">${t.name}</a></h1>
<form class="card" method="post" action="/topics/${name}/produce" id="produce">
<label>Partition<select name="partition"><option value="">(partitioner)</option>${t.partitions.map((p) => html`<option value="${p.partition}">${p.partition}</option>`)}</select></label>
<label>Key<input name="key" placeholder="(none)"></label>
<label>Value<textarea name="value" rows="4" cols="50"></textarea></label>
<label>Headers (key=value, one a line)<textarea name="headers" rows="3" cols="30"></textarea></label>
<button type="submit">Send</button></form>`;
}
