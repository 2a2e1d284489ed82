/**
 * A test CA and certificates made with openssl (the lines README's Security section shows): the
 * CA, a broker certificate for 127.0.0.1 / localhost (server and client use, as brokers connect
 * to each other with it), and a client certificate, each key with its
 * chain in one PEM file (Kafka's PEM keystore layout), plus a PKCS12 copy of the broker's.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface TestCerts {
  dir: string;
  /** The CA certificate (a PEM truststore). */
  caPem: string;
  /** The broker's private key followed by its certificate (a PEM keystore). */
  brokerPem: string;
  brokerKey: string;
  brokerCert: string;
  /** The broker's key and certificate as PKCS12, password `changeit`. */
  brokerP12: string;
  /** A client's key followed by its certificate, subject CN=alice. */
  clientPem: string;
  clientKey: string;
  clientCert: string;
}

async function openssl(dir: string, ...args: string[]): Promise<void> {
  await exec('openssl', args, { cwd: dir, timeout: 30_000 });
}

async function signed(dir: string, name: string, subject: string, ext: string): Promise<void> {
  await openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
  await writeFile(join(dir, `${name}.ext`), ext);
  await openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', `${name}.crt`, '-extfile', `${name}.ext`);
  await writeFile(join(dir, `${name}.pem`), (await readFile(join(dir, `${name}.key`), 'utf8')) + (await readFile(join(dir, `${name}.crt`), 'utf8')));
}

const made: string[] = [];

/** Removes every directory makeTestCerts made in this process (and what tests put in them). */
export async function removeTestCerts(): Promise<void> {
  for (const d of made.splice(0)) await rm(d, { recursive: true, force: true });
}

export async function makeTestCerts(): Promise<TestCerts> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-certs-'));
  made.push(dir);
  await openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Samsa Test CA');
  await signed(dir, 'broker', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  await signed(dir, 'client', '/CN=alice/O=Samsa Tests', 'extendedKeyUsage=clientAuth\n');
  await openssl(dir, 'pkcs12', '-export', '-in', 'broker.crt', '-inkey', 'broker.key', '-out', 'broker.p12', '-passout', 'pass:changeit');
  const p = (f: string): string => join(dir, f);
  return {
    dir,
    caPem: p('ca.pem'),
    brokerPem: p('broker.pem'),
    brokerKey: p('broker.key'),
    brokerCert: p('broker.crt'),
    brokerP12: p('broker.p12'),
    clientPem: p('client.pem'),
    clientKey: p('client.key'),
    clientCert: p('client.crt'),
  };
}
