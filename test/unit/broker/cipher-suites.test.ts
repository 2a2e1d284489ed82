import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cipherChoice, openSslName } from '../../../src/broker/cipher-suites.js';

test("Kafka's (IANA) cipher suite names map to OpenSSL's; TLS 1.3 names pass through; unknown names are refused", () => {
  assert.equal(openSslName('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'), 'ECDHE-RSA-AES128-GCM-SHA256');
  assert.equal(openSslName('TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'), 'ECDHE-ECDSA-AES256-GCM-SHA384');
  assert.equal(openSslName('TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256'), 'ECDHE-RSA-CHACHA20-POLY1305');
  assert.equal(openSslName('TLS_DHE_RSA_WITH_AES_256_GCM_SHA384'), 'DHE-RSA-AES256-GCM-SHA384');
  assert.equal(openSslName('TLS_RSA_WITH_AES_128_GCM_SHA256'), 'AES128-GCM-SHA256');
  assert.equal(openSslName('TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA'), 'ECDHE-RSA-AES128-SHA');
  assert.equal(openSslName('TLS_RSA_WITH_RC4_128_MD5'), null);
  assert.deepEqual(cipherChoice('TLS_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'), { ciphers: 'TLS_AES_256_GCM_SHA384:ECDHE-RSA-AES256-GCM-SHA384', tls13: true });
  assert.deepEqual(cipherChoice('TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'), { ciphers: 'ECDHE-RSA-AES256-GCM-SHA384', tls13: false });
  assert.match(cipherChoice('NOPE') as string, /NOPE: not a cipher suite/);
});
