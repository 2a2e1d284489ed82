/** The SCRAM users page: who has which credential (DescribeUserScramCredentials), with a delete button per credential and a form to set one. */
import { DEFAULT_SCRAM_ITERATIONS, type ScramCredentialInfo } from '../client/admin-scram.js';
import { hiddenFields, html, options, table, type Html } from './html.js';

export const SCRAM_MECHANISM_NAMES = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

function deleteForm(user: string, mechanism: string): Html {
  return html`<form class="inline" method="post" action="/users/delete" data-confirm="Delete this credential? The user can no longer log in with it.">${hiddenFields({ user, mechanism })}<button class="danger">Delete</button></form>`;
}

export function usersBody(users: Map<string, ScramCredentialInfo[]> | string): Html {
  const list =
    typeof users === 'string'
      ? html`<div class="flash error">${users}</div>`
      : table(
          ['User', 'Mechanism', 'Iterations', ''],
          [...users.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).flatMap(([user, creds]) => creds.map((c) => [user, c.mechanism, c.iterations, deleteForm(user, c.mechanism)])),
          { id: 'users', empty: 'No SCRAM credentials.' },
        );
  return html`<h1>SCRAM users</h1>
<h2>Set a credential</h2>
<form class="card" method="post" action="/users" id="set-credential" autocomplete="off">
<label>User<input name="user" placeholder="alice" required></label>
<label>Mechanism<select name="mechanism">${options(SCRAM_MECHANISM_NAMES.map((m) => [m, m] as const), 'SCRAM-SHA-256')}</select></label>
<label>Password<input name="password" type="password" autocomplete="new-password" required></label>
<label>Iterations<input name="iterations" type="number" min="4096" value="${DEFAULT_SCRAM_ITERATIONS}"></label>
<button type="submit">Set credential</button></form>
<p class="muted">The password is salted and hashed by the console's client (as kafka-configs --alter --add-config does); only the salted password reaches the cluster. A credential set again replaces the old one.</p>
<h2>Credentials</h2>${list}`;
}
