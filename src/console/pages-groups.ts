/** Consumer group pages: the list, and one group with members, assignments, lag per partition and its chart. */
import type { GroupListing } from '../client/index.js';
import type { GroupLag } from './data.js';
import { html, seg, table, type Html } from './html.js';

export function groupsBody(groups: GroupListing[]): Html {
  const rows = groups.map((g) => [html`<a href="/groups/${seg(g.groupId)}">${g.groupId}</a>`, g.state || '–', g.protocolType || '(offsets only)']);
  return html`<h1>Consumer groups</h1>${table(['Group', 'State', 'Protocol type'], rows, { id: 'groups', empty: 'No consumer groups.' })}`;
}

export function groupBody(g: GroupLag): Html {
  const id = seg(g.group.groupId);
  const members = g.group.members.map((m) => [m.memberId, m.groupInstanceId ?? '–', m.clientId, m.host, m.assignment.map((a) => `${a.topic}-${a.partition}`).join(', ') || '–']);
  const parts = g.partitions.map(
    (p) => html`<tr data-tp="${p.topic}:${p.partition}"><td><a href="/topics/${seg(p.topic)}">${p.topic}</a></td><td class="num">${p.partition}</td><td class="num committed">${p.committed ?? '–'}</td><td class="num end">${p.endOffset}</td><td class="num lag">${p.lag ?? '–'}</td><td>${p.clientId ?? '–'}</td></tr>`,
  );
  const topics = [...new Set(g.partitions.map((p) => p.topic))];
  return html`<h1>Consumer group ${g.group.groupId}</h1>
<div class="stats"><div><div class="muted">State</div><div class="big" id="group-state">${g.group.state}</div></div><div><div class="muted">Total lag</div><div class="big" id="total-lag">${g.totalLag}</div></div><div><div class="muted">Members</div><div class="big">${g.group.members.length}</div></div><div><div class="muted">Assignor</div><div class="big">${g.group.assignor || '–'}</div></div></div>
<h2>Lag over time</h2><svg class="chart" id="lag-chart" width="720" height="200"></svg>
<h2>Partitions</h2>
<table id="lag"><thead><tr><th>Topic</th><th class="num">Partition</th><th class="num">Committed</th><th class="num">End offset</th><th class="num">Lag</th><th>Client</th></tr></thead><tbody>${parts}</tbody></table>
<h2>Members</h2>${table(['Member id', 'Instance id', 'Client id', 'Host', 'Assignment'], members, { id: 'members', empty: 'No members: the group is not consuming now.' })}
<h2>Reset offsets</h2>
<p class="muted">Only while the group has no members, as in Kafka.</p>
<form class="inline" method="post" action="/groups/${id}/reset" id="reset-offsets">
<select name="topic">${topics.map((t) => html`<option>${t}</option>`)}</select>
<select name="to"><option value="earliest">to earliest</option><option value="latest">to latest</option><option value="offset">to offset</option><option value="datetime">to time</option><option value="shift">shift by</option></select>
<input name="value" placeholder="offset, time or shift"><button>Reset</button></form>`;
}
