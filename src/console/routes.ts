/** The console's routes: each GET answers one question with a page or JSON, each POST makes one change and redirects. */
import { type AlterConfigOp, type OffsetResetSpec } from '../client/index.js';
import { BROWSE_LIMIT_DEFAULT, BROWSE_LIMIT_MAX, type ConsoleData, type GroupLag } from './data.js';
import { change, intField, keyValueLines, timeField, type Handler } from './forms.js';
import { parseFormat, seg } from './html.js';
import type { LagHistory } from './lag-history.js';
import { page } from './layout.js';
import { brokerBody, brokersBody } from './pages-cluster.js';
import { groupBody, groupsBody } from './pages-groups.js';
import { messageRows, messagesBody, produceBody, topicBody, topicsBody } from './pages-topics.js';
import { HttpError, Redirect } from './responses.js';
import { CLUSTER_ROUTES } from './routes-cluster.js';

export type { RouteContext } from './forms.js';

async function topicOr404(data: ConsoleData, name: string) {
  const [t] = await data.topics([name]).catch((err: Error) => {
    throw new HttpError(404, `Topic '${name}': ${err.message}`);
  });
  if (t === undefined) throw new HttpError(404, `There is no topic '${name}'.`);
  return t;
}

function lagJson(g: GroupLag, lag: LagHistory) {
  const lags: Record<string, number> = {};
  for (const p of g.partitions) if (p.lag !== null) lags[`${p.topic}-${p.partition}`] = p.lag;
  const history = lag.record(g.group.groupId, { t: Date.now(), total: g.totalLag, lags });
  return { groupId: g.group.groupId, state: g.group.state, totalLag: g.totalLag, partitions: g.partitions, history };
}

const brokers: Handler = async ({ data, flash }) => {
  const [cluster, topics, groups] = await Promise.all([data.admin.describeCluster(), data.admin.listTopics(), data.admin.listGroups()]);
  return page({ title: 'Brokers', section: '/', flash, body: brokersBody(cluster, topics.length, groups.length) });
};

const broker: Handler = async ({ data, params }) => {
  const id = intField(params[0]!, 'The broker id', { min: 0 });
  const found = await data.admin.describeConfigs([{ type: 'broker', name: String(id) }]);
  return page({ title: `Broker ${id}`, section: '/', body: brokerBody(id, [...found.values()][0] ?? []) });
};

const topics: Handler = async ({ data, flash }) => page({ title: 'Topics', section: '/topics', flash, body: topicsBody(await data.topics()) });

const createTopic: Handler = async ({ data, form }) => {
  const name = (form.get('name') ?? '').trim();
  return change('/topics', async () => {
    if (name === '') throw new HttpError(400, 'Give the new topic a name.');
    const configs = Object.fromEntries(keyValueLines(form.get('configs') ?? '', 'config'));
    await data.admin.createTopics([{ topic: name, numPartitions: intField(form.get('partitions'), 'Partitions', { min: 1, fallback: -1 }), replicationFactor: intField(form.get('replicationFactor'), 'Replication factor', { min: -1, fallback: -1 }), configs }]);
    return `Created topic ${name}.`;
  }).then((r) => (r.flash?.kind === 'ok' ? new Redirect(`/topics/${seg(name)}`, r.flash) : r));
};

const topic: Handler = async ({ data, params, flash, pollIntervalMs }) => {
  const t = await topicOr404(data, params[0]!);
  const configs = await data.admin.describeTopicConfigs([t.name]).then((m) => m.get(t.name) ?? [], () => []);
  const full = configs.map((c) => ({ ...c, synonyms: [], type: 0, documentation: null }));
  return page({ title: t.name, section: '/topics', flash, body: topicBody(t, full), live: { kind: 'topic', url: `/api/topics/${seg(t.name)}/offsets`, intervalMs: pollIntervalMs } });
};

const topicOffsets: Handler = async ({ data, params }) => {
  const t = await topicOr404(data, params[0]!);
  return { json: { topic: t.name, partitions: t.partitions.map((p) => ({ partition: p.partition, startOffset: p.startOffset, endOffset: p.endOffset })) } };
};

const deleteTopic: Handler = async ({ data, params }) => {
  const name = params[0]!;
  const r = await change(`/topics/${seg(name)}`, async () => {
    await data.admin.deleteTopics([name]);
    return `Deleted topic ${name}.`;
  });
  return r.flash?.kind === 'ok' ? new Redirect('/topics', r.flash) : r;
};

const alterTopicConfig: Handler = async ({ data, params, form }) => {
  const name = params[0]!;
  return change(`/topics/${seg(name)}`, async () => {
    const key = (form.get('key') ?? '').trim();
    if (key === '') throw new HttpError(400, 'Name the config to set.');
    const value = form.get('value') ?? '';
    const op: AlterConfigOp = value === '' ? { name: key, op: 'delete' } : { name: key, op: 'set', value };
    await data.admin.incrementalAlterConfigs({ type: 'topic', name }, [op]);
    return value === '' ? `Reset ${key} to its default.` : `Set ${key}=${value}.`;
  });
};

const addPartitions: Handler = async ({ data, params, form }) => {
  const name = params[0]!;
  return change(`/topics/${seg(name)}`, async () => {
    const count = intField(form.get('count'), 'The partition count', { min: 1 });
    await data.admin.createPartitions(name, count);
    return `${name} now has ${count} partitions.`;
  });
};

function browseQuery(query: URLSearchParams) {
  const ts = (query.get('timestamp') ?? '').trim();
  const offset = (query.get('offset') ?? '').trim();
  return {
    partition: intField(query.get('partition'), 'The partition', { min: 0, fallback: 0 }),
    offset: offset === '' ? null : intField(offset, 'The offset', { min: 0 }),
    timestamp: ts === '' ? null : timeField(ts, 'The time'),
    limit: intField(query.get('limit'), 'The limit', { min: 1, fallback: BROWSE_LIMIT_DEFAULT }),
    format: parseFormat(query.get('format')),
    filter: query.get('filter') ?? '',
    offsetText: offset,
    timestampText: ts,
  };
}

const messages: Handler = async ({ data, params, query, flash, pollIntervalMs }) => {
  const t = await topicOr404(data, params[0]!);
  const q = browseQuery(query);
  if (!t.partitions.some((p) => p.partition === q.partition)) throw new HttpError(404, `Topic '${t.name}' has no partition ${q.partition}.`);
  const result = await data.browse({ topic: t.name, partition: q.partition, offset: q.offset, timestamp: q.timestamp, limit: Math.min(q.limit, BROWSE_LIMIT_MAX) });
  const tail = new URLSearchParams({ partition: String(q.partition), format: q.format, filter: q.filter });
  return page({
    title: `Messages in ${t.name}`, section: '/topics', flash,
    body: messagesBody({ topic: t, partition: q.partition, format: q.format, filter: q.filter, offset: q.offsetText, timestamp: q.timestampText, limit: q.limit, result }),
    live: { kind: 'messages', tailUrl: `/api/topics/${seg(t.name)}/tail?${tail.toString()}`, nextOffset: result.nextOffset, intervalMs: pollIntervalMs },
  });
};

/** The live tail: rows after `offset`, rendered (and escaped) as the page renders them. */
const tail: Handler = async ({ data, params, query }) => {
  const q = browseQuery(query);
  const result = await data.browse({ topic: params[0]!, partition: q.partition, offset: q.offset ?? 0, timestamp: null, limit: BROWSE_LIMIT_MAX });
  const { rows, count } = messageRows(result.messages, q.format, q.filter);
  return { json: { rows: rows.text, count, nextOffset: result.nextOffset } };
};

const produceForm: Handler = async ({ data, params, flash }) => {
  const t = await topicOr404(data, params[0]!);
  return page({ title: `Produce to ${t.name}`, section: '/topics', flash, body: produceBody(t) });
};

const produce: Handler = async ({ data, params, form }) => {
  const name = params[0]!;
  const partitionText = form.get('partition') ?? '';
  let at: { partition: number; offset: number } | null = null;
  const r = await change(`/topics/${seg(name)}/produce`, async () => {
    const key = form.get('key') ?? '';
    at = await data.produce({
      topic: name, partition: partitionText === '' ? null : intField(partitionText, 'The partition', { min: 0 }), key: key === '' ? null : key, value: form.get('value') ?? '', headers: keyValueLines(form.get('headers') ?? '', 'header'),
    });
    return `Sent: partition ${at.partition}, offset ${at.offset}.`;
  });
  const sent = at as { partition: number; offset: number } | null;
  return sent === null ? r : new Redirect(`/topics/${seg(name)}/messages?partition=${sent.partition}&offset=${sent.offset}`, r.flash);
};

const groups: Handler = async ({ data, flash }) => page({ title: 'Consumer groups', section: '/groups', flash, body: groupsBody(await data.admin.listGroups()) });

const group: Handler = async ({ data, params, flash, lag, pollIntervalMs }) => {
  const g = await data.groupLag(params[0]!);
  lagJson(g, lag);
  return page({ title: `Group ${g.group.groupId}`, section: '/groups', flash, body: groupBody(g), live: { kind: 'group', url: `/api/groups/${seg(g.group.groupId)}/lag`, intervalMs: pollIntervalMs } });
};

const groupLag: Handler = async ({ data, params, lag }) => ({ json: lagJson(await data.groupLag(params[0]!), lag) });

const resetOffsets: Handler = async ({ data, params, form }) => {
  const id = params[0]!;
  return change(`/groups/${seg(id)}`, async () => {
    const topicName = (form.get('topic') ?? '').trim();
    if (topicName === '') throw new HttpError(400, 'Choose the topic whose offsets to reset.');
    const to = form.get('to') ?? '';
    const value = form.get('value') ?? '';
    const spec: OffsetResetSpec =
      to === 'earliest' ? { to } : to === 'latest' ? { to }
      : to === 'offset' ? { to, offset: intField(value, 'The offset', { min: 0 }) }
      : to === 'shift' ? { to, by: intField(value, 'The shift') }
      : to === 'datetime' ? { to, timestamp: timeField(value, 'The time') }
      : (() => { throw new HttpError(400, `'${to}' is not a reset; use earliest, latest, offset, datetime or shift.`); })();
    const moved = await data.admin.resetOffsets(id, { topics: [{ topic: topicName }], spec });
    return `Reset ${moved.length} partition(s) of ${topicName}: ${moved.map((o) => `${o.partition}→${o.offset}`).join(', ')}.`;
  });
};

const NAME = '([^/]+)';
export const ROUTES: ReadonlyArray<[string, RegExp, Handler]> = [
  ['GET', /^\/$/, brokers],
  ['GET', new RegExp(`^/brokers/${NAME}$`), broker],
  ['GET', /^\/topics$/, topics],
  ['POST', /^\/topics$/, createTopic],
  ['GET', new RegExp(`^/topics/${NAME}$`), topic],
  ['POST', new RegExp(`^/topics/${NAME}/delete$`), deleteTopic],
  ['POST', new RegExp(`^/topics/${NAME}/configs$`), alterTopicConfig],
  ['POST', new RegExp(`^/topics/${NAME}/partitions$`), addPartitions],
  ['GET', new RegExp(`^/topics/${NAME}/messages$`), messages],
  ['GET', new RegExp(`^/topics/${NAME}/produce$`), produceForm],
  ['POST', new RegExp(`^/topics/${NAME}/produce$`), produce],
  ['GET', new RegExp(`^/api/topics/${NAME}/offsets$`), topicOffsets],
  ['GET', new RegExp(`^/api/topics/${NAME}/tail$`), tail],
  ['GET', /^\/groups$/, groups],
  ['GET', new RegExp(`^/groups/${NAME}$`), group],
  ['POST', new RegExp(`^/groups/${NAME}/reset$`), resetOffsets],
  ['GET', new RegExp(`^/api/groups/${NAME}/lag$`), groupLag],
  ...CLUSTER_ROUTES,
];
