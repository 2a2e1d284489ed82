/**
 * A cluster whose only listener is TLS with mutual authentication: three broker processes on
 * etcd replicate over SSL (the inter-broker listener), each using its keystore as its client
 * certificate and the CA as truststore. kcat (with a client certificate) creates nothing itself:
 * Samsa's tool creates a replication-factor-3 topic over TLS, kcat writes with acks=all, every ISR
 * fills, and after the leader is killed the new leader serves every record.
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

test('replication over mutual TLS: three brokers with only an SSL listener fill every ISR, acks=all works, and the new leader after a kill serves every record', { skip: SKIP, timeout: 180_000 }, async () => {
  const certs = await makeTestCerts();
  const ssl = ['-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${certs.caPem}`, '-X', `ssl.certificate.location=${certs.clientCert}`, '-X', `ssl.key.location=${certs.clientKey}`];
  const metadata = async (bootstrap: string): Promise<{ leader: number; isrs: number }[]> => {
    const r = await run('kcat', ['-b', bootstrap, ...ssl, '-L', '-J', '-t', 'sealed', '-m', '5'], { timeoutMs: 20_000 });
    if (r.code !== 0) return [];
    const t = (JSON.parse(r.stdout) as { topics: Array<{ partitions?: Array<{ leader: number; isrs: unknown[] }> }> }).topics[0];
    return (t?.partitions ?? []).map((p) => ({ leader: p.leader, isrs: p.isrs.length }));
  };
  await withClusterProcesses(
    async (c) => {
      const props = `${certs.dir}/client.properties`;
      await writeFile(props, `security.protocol=SSL\nssl.truststore.type=PEM\nssl.truststore.location=${certs.caPem}\nssl.keystore.type=PEM\nssl.keystore.location=${certs.clientPem}\n`);
      const created = await run(process.execPath, [CLI, 'topics', '--bootstrap-server', c.bootstrap, '--command-config', props, '--create', '--topic', 'sealed', '--partitions', '3', '--replication-factor', '3', '--config', 'min.insync.replicas=2'], { timeoutMs: 60_000 });
      assert.equal(created.code, 0, created.stderr);
      await waitFor('every ISR full over TLS', async () => {
        const ps = await metadata(c.bootstrap);
        return ps.length === 3 && ps.every((p) => p.isrs === 3);
      }, 30_000);
      const lines = Array.from({ length: 300 }, (_, i) => `r${i}`);
      const produced = await run('kcat', ['-b', c.bootstrap, ...ssl, '-P', '-t', 'sealed', '-p', '0', '-X', 'acks=-1'], { input: lines.join('\n') + '\n', timeoutMs: 60_000 });
      assert.equal(produced.code, 0, produced.stderr);
      const leader = (await metadata(c.bootstrap))[0]!.leader;
      await c.kill(leader);
      const others = c.brokerIds.filter((id) => id !== leader).map((id) => c.address(id)).join(',');
      await waitFor('a new leader for partition 0', async () => {
        const p = (await metadata(others))[0];
        return p !== undefined && p.leader >= 0 && p.leader !== leader;
      }, 30_000);
      const read = await run('kcat', ['-b', others, ...ssl, '-C', '-t', 'sealed', '-p', '0', '-o', 'beginning', '-e', '-q'], { timeoutMs: 60_000 });
      assert.equal(read.code, 0, read.stderr);
      assert.deepEqual(read.stdout.trim().split('\n'), lines, 'every acknowledged record, from the new leader');
    },
    {
      overrides: {
        'listener.security.protocol.map': 'PLAINTEXT:SSL',
        'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.brokerPem,
        'ssl.truststore.type': 'PEM', 'ssl.truststore.location': certs.caPem, 'ssl.client.auth': 'required',
      },
    },
  );
});
