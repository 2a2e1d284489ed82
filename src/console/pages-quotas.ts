/** The client quotas page: every entity's quotas with a remove button per key, and a form to set one (as kafka-configs --alter --add-config). */
import type { ClientQuotaEntry } from '../client/index.js';
import { hiddenFields, html, options, table, type Html } from './html.js';

/** The entities the form can name; a blank name means that type's default entity. */
export const QUOTA_ENTITY_KINDS = ['user', 'client-id', 'user+client-id', 'ip'] as const;
export type QuotaEntityKind = (typeof QUOTA_ENTITY_KINDS)[number];
/** Kafka's client quota keys (connection_creation_rate is the only one an ip entity takes). */
export const QUOTA_KEYS = ['producer_byte_rate', 'consumer_byte_rate', 'request_percentage', 'controller_mutation_rate', 'connection_creation_rate'] as const;

/** An entity as kafka-configs prints it: `user=alice, client-id=<default>`. */
export function entityText(entity: ClientQuotaEntry['entity']): string {
  return Object.entries(entity).map(([type, name]) => `${type}=${name ?? '<default>'}`).join(', ');
}

export function setQuotaForm(): Html {
  return html`<form class="card" method="post" action="/quotas" id="set-quota">
<label>Entity<select name="entityType">${options(QUOTA_ENTITY_KINDS.map((k) => [k, k] as const), 'user')}</select></label>
<label>User<input name="user" placeholder="alice (blank: default)"></label>
<label>Client id<input name="clientId" placeholder="my-app (blank: default)"></label>
<label>IP<input name="ip" placeholder="10.0.0.1 (blank: default)"></label>
<label>Quota<select name="key">${options(QUOTA_KEYS.map((k) => [k, k] as const), 'producer_byte_rate')}</select></label>
<label>Value<input name="value" type="number" min="0" step="any" required></label>
<button type="submit">Set quota</button></form>
<p class="muted">The user and client id fields are used as the entity says; a blank one names the default entity of its type. Rates are bytes (or connections, mutations) per second; request_percentage is a share of one I/O thread.</p>`;
}

function removeForm(e: ClientQuotaEntry, key: string): Html {
  return html`<form class="inline" method="post" action="/quotas/remove" data-confirm="Remove this quota?">${hiddenFields({ entity: JSON.stringify(e.entity), key })}<button class="danger">Remove</button></form>`;
}

export function quotasBody(entries: ClientQuotaEntry[] | string): Html {
  const list =
    typeof entries === 'string'
      ? html`<div class="flash error">${entries}</div>`
      : table(
          ['Entity', 'Quota', 'Value', ''],
          [...entries]
            .sort((a, b) => (entityText(a.entity) < entityText(b.entity) ? -1 : 1))
            .flatMap((e) => Object.entries(e.values).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [entityText(e.entity), k, v, removeForm(e, k)])),
          { id: 'quotas', empty: 'No quotas set.' },
        );
  return html`<h1>Client quotas</h1>
<h2>Set a quota</h2>${setQuotaForm()}
<h2>Quotas</h2>${list}`;
}
