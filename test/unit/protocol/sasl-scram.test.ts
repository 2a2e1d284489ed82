import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  authMessage, clientKey, credentialFromSalted, decodeSaslName, encodeSaslName, hash, hmac, parseClientFinal, parseClientFirst, parseServerFirst,
  saltedPassword, scramMechanism, xor,
} from '../../../src/protocol/sasl-scram.js';

test("SCRAM-SHA-256 matches RFC 7677's example exchange: the client's proof and the server's signature", () => {
  const m = scramMechanism('SCRAM-SHA-256')!;
  const first = parseClientFirst('n,,n=user,r=rOprNGfwEbeRWgbNEkqO')!;
  assert.equal(first.user, 'user');
  const serverFirst = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
  const sf = parseServerFirst(serverFirst)!;
  const salted = saltedPassword(m, 'pencil', sf.salt, sf.iterations);
  const final = parseClientFinal('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=')!;
  const auth = authMessage(first.bare, serverFirst, final.withoutProof);
  const key = clientKey(m, salted);
  assert.equal(xor(key, hmac(m, hash(m, key), auth)).toString('base64'), final.proof.toString('base64'));
  const cred = credentialFromSalted(m, sf.salt, salted, 4096);
  assert.equal(hmac(m, cred.serverKey, auth).toString('base64'), '6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
});

test('SCRAM messages: saslname escapes, authzid, extensions; malformed messages are refused', () => {
  assert.equal(encodeSaslName('a,b=c'), 'a=2Cb=3Dc');
  assert.equal(decodeSaslName('a=2Cb=3Dc'), 'a,b=c');
  assert.equal(decodeSaslName('a=4'), null);
  const f = parseClientFirst('n,a=bob,n=bob,r=abc,tokenauth=true')!;
  assert.equal(f.authzid, 'bob');
  assert.equal(f.gs2Header, 'n,a=bob,');
  assert.equal(f.extensions.get('tokenauth'), 'true');
  for (const bad of ['y,,n=bob,r=abc', 'p=tls-unique,,n=bob,r=abc', 'n,,n=bob', 'n,,r=abc', '']) assert.equal(parseClientFirst(bad), null, bad);
  assert.equal(parseClientFinal('c=biws,r=abc'), null);
});
