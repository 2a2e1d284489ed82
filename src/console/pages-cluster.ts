/** Cluster pages: brokers and their configs, ACLs, quotas, transactions and the producers of a partition. */
import { acl, ConfigSourceName, type AclBinding, type ClientQuotaEntry, type ClusterDescription, type ConfigDescription } from '../client/index.js';
import type { ProducerState, TransactionDescription, TransactionListing } from '../client/admin-transactions.js';
import { formatTime, html, seg, table, type Html } from './html.js';

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

export function aclsBody(bindings: AclBinding[] | string): Html {
  if (typeof bindings === 'string') return html`<h1>ACLs</h1><div class="flash error">${bindings}</div>`;
  const rows = bindings.map((b) => [
    acl.resourceTypeName(b.resourceType), b.resourceName, acl.patternTypeName(b.patternType), b.principal, b.host, acl.operationName(b.operation), acl.permissionName(b.permissionType),
  ]);
  return html`<h1>ACLs</h1>${table(['Resource type', 'Resource', 'Pattern', 'Principal', 'Host', 'Operation', 'Permission'], rows, { id: 'acls', empty: 'No ACLs.' })}`;
}

export function quotasBody(entries: ClientQuotaEntry[] | string): Html {
  if (typeof entries === 'string') return html`<h1>Quotas</h1><div class="flash error">${entries}</div>`;
  const rows = entries.map((e) => [
    Object.entries(e.entity).map(([type, name]) => `${type}=${name ?? '<default>'}`).join(', '),
    Object.entries(e.values).map(([k, v]) => `${k}=${v}`).join(', '),
  ]);
  return html`<h1>Client quotas</h1>${table(['Entity', 'Quotas'], rows, { id: 'quotas', empty: 'No quotas set.' })}`;
}

export interface ProducersQuery {
  topic: string;
  partition: number;
  producers: ProducerState[] | string;
}

export function transactionsBody(list: TransactionListing[] | string, described: TransactionDescription[], producers: ProducersQuery | null): Html {
  const txns =
    typeof list === 'string'
      ? html`<div class="flash error">${list}</div>`
      : table(
          ['Transactional id', 'Producer id', 'Epoch', 'State', 'Coordinator', 'Timeout', 'Started', 'Partitions'],
          list.map((t) => {
            const d = described.find((x) => x.transactionalId === t.transactionalId);
            return [t.transactionalId, t.producerId, d?.producerEpoch ?? '–', t.state, t.coordinatorId, d ? `${d.transactionTimeoutMs} ms` : '–', d ? formatTime(d.transactionStartTimeMs) : '–', d ? d.topicPartitions.map((p) => `${p.topic}-${p.partition}`).join(', ') : '–'];
          }),
          { id: 'transactions', empty: 'No transactional ids.' },
        );
  const prod =
    producers === null
      ? ''
      : typeof producers.producers === 'string'
        ? html`<div class="flash error">${producers.producers}</div>`
        : table(
            ['Producer id', 'Epoch', 'Last sequence', 'Last timestamp', 'Coordinator epoch', 'Open transaction from'],
            producers.producers.map((p) => [p.producerId, p.producerEpoch, p.lastSequence, formatTime(p.lastTimestamp), p.coordinatorEpoch, p.currentTransactionStartOffset < 0 ? '–' : p.currentTransactionStartOffset]),
            { id: 'producers', empty: `No active producers on ${producers.topic}-${producers.partition}.` },
          );
  return html`<h1>Transactions</h1>${txns}
<h2>Producers of a partition</h2>
<form class="inline" method="get" action="/transactions"><input name="topic" placeholder="topic" value="${producers?.topic ?? ''}" required><input name="partition" type="number" min="0" value="${producers?.partition ?? 0}"><button>Describe producers</button></form>
${producers === null ? '' : html`<p class="muted">Producers of <a href="/topics/${seg(producers.topic)}">${producers.topic}</a>-${producers.partition}</p>`}${prod}`;
}
