#!/usr/bin/env node
// Generates src/protocol/messages/NN-name.ts (schema + TypeScript types) from a directory of
// Kafka's JSON message definitions. A developer tool: nothing at build or run time uses it.
// Usage: node scripts/gen-messages.mjs <dir-with-kafka-json> [apiKey ...]
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, ...keyArgs] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node scripts/gen-messages.mjs <definitions-dir> [apiKey ...]');
  process.exit(2);
}
const wanted = new Set(keyArgs.map(Number));
const outDir = new URL('../src/protocol/messages/', import.meta.url).pathname;

const readJson = (file) =>
  JSON.parse(
    readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .filter((l) => !l.trim().startsWith('//'))
      .join('\n'),
  );

const byKey = new Map();
for (const file of readdirSync(dir)) {
  if (!file.endsWith('.json')) continue;
  const m = readJson(file);
  if (m.type !== 'request' && m.type !== 'response') continue;
  if (wanted.size && !wanted.has(m.apiKey)) continue;
  const e = byKey.get(m.apiKey) ?? {};
  e[m.type] = m;
  byKey.set(m.apiKey, e);
}

const MAX = 0x7fff;
function range(s) {
  if (s === undefined || s === 'none' || s === '') return null;
  if (s.endsWith('+')) return [Number(s.slice(0, -1)), MAX];
  if (s.includes('-')) {
    const [a, b] = s.split('-').map(Number);
    return [a, b];
  }
  return [Number(s), Number(s)];
}
const rangeText = (r) => (r === null ? 'null' : `[${r[0]}, ${r[1] === MAX ? 'VERSION_MAX' : r[1]}]`);
const camel = (n) => n[0].toLowerCase() + n.slice(1);
const PRIMS = new Set(['int8', 'int16', 'uint16', 'int32', 'int64', 'float64', 'bool', 'string', 'bytes', 'records', 'uuid']);
const TS = { int8: 'number', int16: 'number', uint16: 'number', int32: 'number', int64: 'number', float64: 'number', bool: 'boolean', string: 'string', bytes: 'Buffer', records: 'Buffer', uuid: 'string' };

// INT64 fields carried as bigint (FieldSchema.exact): values a client may set anywhere in the
// 64-bit range that the broker stores and sends back. Other INT64 fields are numbers.
const EXACT_INT64 = new Set([
  'OffsetCommitRequest.CommittedOffset',
  'OffsetCommitRequest.CommitTimestamp',
  'OffsetCommitRequest.RetentionTimeMs',
  'OffsetFetchResponse.CommittedOffset',
  'TxnOffsetCommitRequest.CommittedOffset',
]);

function parseDefault(f, type) {
  const d = f.default;
  if (d === undefined) return undefined;
  if (d === 'null') return null;
  if (type === 'bool') return d === 'true';
  if (type === 'string') return d;
  if (/^-?(0x)?[0-9a-f]+$/i.test(d)) return Number(d);
  return undefined;
}

function gen(apiKey, req, resp) {
  const interfaces = [];
  const schemaOut = [];
  const seen = new Set();

  function structName(msgName, typeName) {
    let name = typeName.startsWith(msgName) ? typeName : msgName + typeName;
    while (seen.has(name)) name += '_';
    seen.add(name);
    return name;
  }

  function emitFields(msg, fields, ifaceName, indent) {
    const common = new Map((msg.commonStructs ?? []).map((s) => [s.name, s]));
    const lines = [];
    const props = [];
    for (const f of fields) {
      const versions = range(f.versions);
      const nullable = range(f.nullableVersions);
      const tagged = range(f.taggedVersions);
      let type = f.type;
      const isArray = type.startsWith('[]');
      const elem = isArray ? type.slice(2) : type;
      let kind;
      let tsType;
      let sub = '';
      const exact = elem === 'int64' && EXACT_INT64.has(`${msg.name}.${f.name}`);
      if (PRIMS.has(elem)) {
        kind = isArray ? `[]${elem}` : elem;
        tsType = (exact ? 'bigint' : TS[elem]) + (isArray ? '[]' : '');
      } else {
        kind = isArray ? '[]struct' : 'struct';
        const subFields = f.fields ?? common.get(elem)?.fields;
        if (!subFields) throw new Error(`${msg.name}.${f.name}: unknown struct ${elem}`);
        const name = structName(msg.name, elem);
        const inner = emitFields(msg, subFields, name, indent + '  ');
        sub = `, fields: [\n${inner}\n${indent}]`;
        tsType = name + (isArray ? '[]' : '');
      }
      if (nullable) tsType += ' | null';
      const parts = [`name: '${camel(f.name)}'`, `type: '${kind}'`, `versions: ${rangeText(versions)}`];
      if (nullable) parts.push(`nullable: ${rangeText(nullable)}`);
      if (tagged) parts.push(`tagged: ${rangeText(tagged)}`, `tag: ${f.tag}`);
      if (exact) parts.push('exact: true');
      const d = parseDefault(f, elem);
      if (d !== undefined && !(d === null && !nullable)) parts.push(`default: ${JSON.stringify(d)}`);
      lines.push(`${indent}{ ${parts.join(', ')}${sub} },`);
      props.push(`  ${camel(f.name)}: ${tsType};`);
    }
    interfaces.push(`export interface ${ifaceName} {\n${props.join('\n')}\n}`);
    return lines.join('\n');
  }

  for (const msg of [req, resp]) {
    if (!msg) continue;
    seen.add(msg.name);
    const body = emitFields(msg, msg.fields, msg.name, '    ');
    const valid = range(msg.validVersions);
    schemaOut.push(
      `export const ${msg.name}Schema: MessageSchema = {\n  name: '${msg.name}',\n  apiKey: ${apiKey},\n` +
        `  validVersions: [${valid[0]}, ${valid[1]}],\n  flexible: ${rangeText(range(msg.flexibleVersions))},\n` +
        `  fields: [\n${body}\n  ],\n};`,
    );
  }
  const apiName = req.name.replace(/Request$/, '');
  const file = `${String(apiKey).padStart(2, '0')}-${apiName.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}.ts`;
  const text =
    `// ${apiName} (api key ${apiKey}). Generated by scripts/gen-messages.mjs from the field and\n` +
    `// version facts of Kafka's message definitions; regenerate rather than edit by hand.\n` +
    `import { type MessageSchema, VERSION_MAX } from '../schema.js';\n\n` +
    `export const API_KEY = ${apiKey};\n\n` +
    interfaces.reverse().join('\n\n') +
    '\n\n' +
    schemaOut.join('\n\n') +
    '\n';
  writeFileSync(join(outDir, file), text.replace(/VERSION_MAX } from/, 'VERSION_MAX } from'));
  return { file, apiName };
}

const index = [];
for (const [key, { request, response }] of [...byKey.entries()].sort((a, b) => a[0] - b[0])) {
  if (!request || !response) continue;
  const { file, apiName } = gen(key, request, response);
  index.push({ key, file, apiName });
}
console.log(`generated ${index.length} APIs: ${index.map((i) => i.apiName).join(', ')}`);
