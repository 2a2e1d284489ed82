/** Cluster pages: brokers and their configs. */
import { ConfigSourceName, type ClusterDescription, type ConfigDescription } from '../client/index.js';
import { html, table, type Html } from './html.js';

export function brokersBody(c: ClusterDescription, topics: number, groups: number): Html {
  const rows = [...c.brokers]
    .sort((a, b) => a.nodeId - b.nodeId)
    .map((b) => [html`<a href="/brokers/${b.nodeId}">${b.nodeId}</a>`, `${b.host}:${b.port}`, b.rack ?? '–', b.nodeId === c.controllerId ? 'controller' : '']);
  return html`<h1>Cluster ${c.clusterId}</h1>
<div class="stats"><div><div class="muted">Brokers</div><div class="big">${c.brokers.length}</div></div><div><div class="muted">Topics</div><div class="big"><a href="/topics">${topics}</a></div></div><div><div class="muted">Consumer groups</div><div class="big"><a href="/groups">${groups}</a></div></div></div>
<h2>Brokers</h2>${table(['Node id', 'Address', 'Rack', 'Role'], rows, { id: 'brokers' })}`;
}

export function brokerBody(nodeId: number, configs: ConfigDescription[]): Html {
  const rows = [...configs]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((c) => [c.source !== 5 ? html`<b>${c.name}</b>` : c.name, c.isSensitive ? '(sensitive)' : (c.value ?? 'null'), ConfigSourceName[c.source] ?? String(c.source), c.readOnly ? 'read-only' : 'dynamic']);
  return html`<h1>Broker ${nodeId}</h1><p class="muted">Keys set anywhere but Kafka's defaults are in bold.</p>${table(['Name', 'Value', 'Source', 'Update'], rows, { id: 'broker-configs' })}`;
}
