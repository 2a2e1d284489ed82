/**
 * `samsa features`: Kafka's kafka-features.sh (FeatureCommand). `describe` prints one line per
 * feature in Kafka's format (Feature, SupportedMinVersion, SupportedMaxVersion,
 * FinalizedVersionLevel, Epoch, tab-separated), or JSON with --json. Samsa's features follow what
 * it serves (group.version with the KIP-848 protocol, share.version with share groups), so
 * upgrade, downgrade and disable are refused with a sentence.
 */
import type { FeatureMetadata } from '../client/admin-features.js';
import { bool, UsageError, writeOut, type Io, type ToolSpec } from './common.js';
import { COMMAND_CONFIG_FLAG, runAdminTool } from './client-config.js';

export const spec: ToolSpec = {
  name: 'features',
  summary: "Describe the cluster's feature levels (KIP-584).",
  usage: 'samsa features --bootstrap-server <host:port> describe [--json]',
  allowPositionals: true,
  flags: {
    'bootstrap-server': { type: 'string', value: 'host:port', help: 'The broker(s) to connect to, comma-separated. Required.' },
    ...COMMAND_CONFIG_FLAG,
    json: { type: 'boolean', help: 'Print a JSON document instead of lines.' },
    feature: { type: 'string', multiple: true, value: 'name=level', help: "Kafka's upgrade/downgrade/disable argument; refused: Samsa's features follow what it serves." },
  },
};

export function featureLines(f: FeatureMetadata): string {
  const names = [...new Set([...f.supported.keys(), ...f.finalized.keys()])].sort();
  return names
    .map((name) => {
      const s = f.supported.get(name);
      const fin = f.finalized.get(name);
      return `Feature: ${name}\tSupportedMinVersion: ${s?.minVersion ?? '-'}\tSupportedMaxVersion: ${s?.maxVersion ?? '-'}\tFinalizedVersionLevel: ${fin?.maxVersionLevel ?? '-'}\tEpoch: ${f.finalizedEpoch ?? '-'}\n`;
    })
    .join('');
}

export async function run(argv: string[], io: Io): Promise<number> {
  return runAdminTool(spec, argv, io, async ({ values, positionals }, connect) => {
    const command = positionals[0];
    if (command === undefined) throw new UsageError("Give a command: 'describe' (as in 'samsa features --bootstrap-server localhost:9092 describe').");
    if (['upgrade', 'downgrade', 'disable', 'version-mapping', 'feature-dependencies'].includes(command))
      throw new UsageError(`'${command}' is not served: Samsa's features follow what it serves (group.version with the KIP-848 consumer protocol, share.version with share groups) and cannot be changed.`);
    if (command !== 'describe') throw new UsageError(`Unknown command '${command}'; use 'describe'.`);
    const f = await connect().describeFeatures();
    if (bool(values, 'json')) {
      const doc = [...new Set([...f.supported.keys(), ...f.finalized.keys()])].sort().map((name) => ({
        feature: name, supportedMinVersion: f.supported.get(name)?.minVersion ?? null, supportedMaxVersion: f.supported.get(name)?.maxVersion ?? null,
        finalizedVersionLevel: f.finalized.get(name)?.maxVersionLevel ?? null, epoch: f.finalizedEpoch,
      }));
      await writeOut(io.stdout, `${JSON.stringify(doc, null, 2)}\n`);
    } else await writeOut(io.stdout, featureLines(f));
    return 0;
  });
}
