/**
 * ACLs in a cluster: three broker processes on etcd with only a mutual-TLS listener, principals
 * from the certificates through ssl.principal.mapping.rules (CN=localhost → User:localhost, the
 * brokers' own principal and a super user, so replication and markers keep working; CN=alice →
 * User:alice). An ACL created through one broker lets alice read through another at once.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { installed, run } from '../helpers/broker.js';
import { makeTestCerts, removeTestCerts } from '../helpers/certs.js';
import { withClusterProcesses } from '../helpers/cluster-processes.js';
import { waitFor } from '../helpers/wait.js';

after(removeTestCerts);

const SKIP = !(await installed('kcat', ['-V'])) ? 'kcat is not installed (Debian package kcat)' : !(await installed('openssl', ['version'])) ? 'openssl is not installed' : false;
const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

test('cluster ACLs over mutual TLS: the brokers replicate as their super-user principal; an ACL created through one broker applies on another', { skip: SKIP, timeout: 180_000 }, async () => {
  const certs = await makeTestCerts();
  const alice = ['-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${certs.caPem}`, '-X', `ssl.certificate.location=${certs.clientCert}`, '-X', `ssl.key.location=${certs.clientKey}`];
  await withClusterProcesses(
    async (c) => {
      // The tools run as the brokers' certificate (User:localhost, a super user).
      const props = `${certs.dir}/admin.properties`;
      await writeFile(props, `security.protocol=SSL\nssl.truststore.type=PEM\nssl.truststore.location=${certs.caPem}\nssl.keystore.type=PEM\nssl.keystore.location=${certs.brokerPem}\n`);
      const tool = (bootstrap: string, ...args: string[]) => run(process.execPath, [CLI, ...args, '--bootstrap-server', bootstrap, '--command-config', props], { timeoutMs: 60_000 });
      const [b1, b2] = c.brokerIds.map((id) => c.address(id));
      const created = await tool(b1!, 'topics', '--create', '--topic', 'guarded', '--partitions', '1', '--replication-factor', '3');
      assert.equal(created.code, 0, created.stderr);
      const isrs = async () => {
        const r = await run('kcat', ['-b', c.bootstrap, '-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${certs.caPem}`, '-X', `ssl.certificate.location=${certs.brokerCert}`, '-X', `ssl.key.location=${certs.brokerKey}`, '-L', '-J', '-t', 'guarded'], { timeoutMs: 20_000 });
        return r.code === 0 ? ((JSON.parse(r.stdout) as { topics: Array<{ partitions?: Array<{ isrs: unknown[] }> }> }).topics[0]?.partitions?.[0]?.isrs.length ?? 0) : 0;
      };
      await waitFor('the ISR full: followers fetch as User:localhost', async () => (await isrs()) === 3, 30_000);
      const produced = await run('kcat', ['-b', b1!, ...alice, '-P', '-t', 'guarded', '-p', '0'], { input: 'x\n', timeoutMs: 30_000 });
      assert.notEqual(produced.code, 0, 'alice has no ACL');
      assert.match(produced.stderr, /Topic authorization failed/i);
      const added = await tool(b1!, 'acls', '--add', '--allow-principal', 'User:alice', '--operation', 'Write', '--operation', 'Read', '--topic', 'guarded');
      assert.equal(added.code, 0, added.stderr);
      // Through another broker, at once (its authorizer sees the etcd records change).
      const written = await run('kcat', ['-b', b2!, ...alice, '-P', '-t', 'guarded', '-p', '0', '-X', 'acks=-1'], { input: 'x\ny\n', timeoutMs: 30_000 });
      assert.equal(written.code, 0, written.stderr);
      const read = await run('kcat', ['-b', b2!, ...alice, '-C', '-t', 'guarded', '-p', '0', '-o', 'beginning', '-e', '-q'], { timeoutMs: 30_000 });
      assert.equal(read.stdout, 'x\ny\n');
      const listed = await tool(b2!, 'acls', '--list', '--topic', 'guarded');
      assert.match(listed.stdout, /\(principal=User:alice, host=\*, operation=READ, permissionType=ALLOW\)/);
    },
    {
      overrides: {
        'listener.security.protocol.map': 'PLAINTEXT:SSL',
        'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.brokerPem,
        'ssl.truststore.type': 'PEM', 'ssl.truststore.location': certs.caPem, 'ssl.client.auth': 'required',
        'ssl.principal.mapping.rules': 'RULE:^CN=([^,]+)$/$1/,RULE:^O=[^,]+,CN=([^,]+)$/$1/L,DEFAULT',
        'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer', 'super.users': 'User:localhost',
      },
    },
  );
});
