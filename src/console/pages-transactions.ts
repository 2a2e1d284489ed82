/** The transactions pages: transactional ids, one id described, the producers of a partition with an abort button for a hanging transaction. */
import type { ProducerState, TransactionDescription, TransactionListing } from '../client/admin-transactions.js';
import { formatTime, hiddenFields, html, seg, table, type Html } from './html.js';

export interface ProducersQuery {
  topic: string;
  partition: number;
  producers: ProducerState[] | string;
}

const describeHref = (id: string): string => `/transactions/describe?${new URLSearchParams({ id }).toString()}`;
const producersHref = (topic: string, partition: number): string => `/transactions?${new URLSearchParams({ topic, partition: String(partition) }).toString()}`;

function describeForm(id: string): Html {
  return html`<form class="inline" method="get" action="/transactions/describe" id="describe-transaction"><input name="id" placeholder="transactional id" value="${id}" required><button>Describe</button></form>`;
}

/** Kafka's abort (kafka-transactions.sh abort): an ABORT marker for this producer on this partition. */
function abortForm(topic: string, partition: number, p: ProducerState): Html {
  return html`<form class="inline" method="post" action="/transactions/abort" data-confirm="Abort this producer's open transaction on the partition?">${hiddenFields({
    topic, partition, producerId: p.producerId, producerEpoch: p.producerEpoch, coordinatorEpoch: Math.max(0, p.coordinatorEpoch),
  })}<button class="danger">Abort transaction</button></form>`;
}

export function transactionsBody(list: TransactionListing[] | string, described: TransactionDescription[], producers: ProducersQuery | null): Html {
  const txns =
    typeof list === 'string'
      ? html`<div class="flash error">${list}</div>`
      : table(
          ['Transactional id', 'Producer id', 'Epoch', 'State', 'Coordinator', 'Timeout', 'Started', 'Partitions'],
          list.map((t) => {
            const d = described.find((x) => x.transactionalId === t.transactionalId);
            return [html`<a href="${describeHref(t.transactionalId)}">${t.transactionalId}</a>`, t.producerId, d?.producerEpoch ?? '–', t.state, t.coordinatorId, d ? `${d.transactionTimeoutMs} ms` : '–', d ? formatTime(d.transactionStartTimeMs) : '–', d ? d.topicPartitions.map((p) => `${p.topic}-${p.partition}`).join(', ') : '–'];
          }),
          { id: 'transactions', empty: 'No transactional ids.' },
        );
  const prod =
    producers === null
      ? ''
      : typeof producers.producers === 'string'
        ? html`<div class="flash error">${producers.producers}</div>`
        : table(
            ['Producer id', 'Epoch', 'Last sequence', 'Last timestamp', 'Coordinator epoch', 'Open transaction from', ''],
            producers.producers.map((p) => [
              p.producerId, p.producerEpoch, p.lastSequence, formatTime(p.lastTimestamp), p.coordinatorEpoch, p.currentTransactionStartOffset < 0 ? '–' : p.currentTransactionStartOffset,
              p.currentTransactionStartOffset < 0 ? '' : abortForm(producers.topic, producers.partition, p),
            ]),
            { id: 'producers', empty: `No active producers on ${producers.topic}-${producers.partition}.` },
          );
  return html`<h1>Transactions</h1>${describeForm('')}${txns}
<h2>Producers of a partition</h2>
<form class="inline" method="get" action="/transactions" id="describe-producers"><input name="topic" placeholder="topic" value="${producers?.topic ?? ''}" required><input name="partition" type="number" min="0" value="${producers?.partition ?? 0}"><button>Describe producers</button></form>
<p class="muted">A producer whose transaction stays open holds back read_committed consumers at its first offset (the last stable offset). Aborting writes an ABORT marker on the partition, as kafka-transactions.sh abort does; the producer's later sends in that transaction are fenced.</p>
${producers === null ? '' : html`<p class="muted">Producers of <a href="/topics/${seg(producers.topic)}">${producers.topic}</a>-${producers.partition}</p>`}${prod}`;
}

export function transactionBody(id: string, d: TransactionDescription | string): Html {
  if (typeof d === 'string') return html`<h1>Transaction ${id}</h1>${describeForm(id)}<div class="flash error">${d}</div>`;
  const rows: Array<[string, Html | string | number]> = [
    ['State', d.state], ['Coordinator', d.coordinatorId], ['Producer id', d.producerId], ['Producer epoch', d.producerEpoch],
    ['Timeout', `${d.transactionTimeoutMs} ms`], ['Started', formatTime(d.transactionStartTimeMs)],
  ];
  const parts = d.topicPartitions.map((p) => [html`<a href="/topics/${seg(p.topic)}">${p.topic}</a>`, p.partition, html`<a href="${producersHref(p.topic, p.partition)}">producers</a>`]);
  return html`<h1>Transaction ${id}</h1>${describeForm(id)}
${table(['', ''], rows.map(([k, v]) => [k, v]), { id: 'transaction' })}
<h2>Partitions in the open transaction</h2>${table(['Topic', 'Partition', ''], parts, { id: 'transaction-partitions', empty: 'None: no transaction is open.' })}`;
}
