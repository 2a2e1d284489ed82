/**
 * `samsa features`: Kafka's kafka-features.sh (FeatureCommand). `describe` prints one line per
 * feature in Kafka's format (Feature, SupportedMinVersion, SupportedMaxVersion,
 * FinalizedVersionLevel, Epoch, tab-separated), or JSON with --json. `upgrade --feature n=l`,
 * `downgrade --feature n=l [--unsafe]` and `disable --feature n [--unsafe]` (each with
 * `--dry-run`) change finalized levels with UpdateFeatures and print Kafka's lines
 * ("transaction.version was downgraded to 1.", "Could not upgrade … . <why>"); a failure exits 1.
 * `--release-version` and `--metadata` (metadata.version) are refused: Samsa has no metadata.version.
 */
import type { FeatureMetadata, FeatureUpdate } from '../client/admin-features.js';
import { KafkaError } from '../protocol/errors.js';
import { bool, UsageError, writeOut, type Io, type ToolSpec } from './common.js';
import { COMMAND_CONFIG_FLAG, runAdminTool } from './client-config.js';

export const spec: ToolSpec = {
  name: 'features',
  summary: "Describe the cluster's feature levels (KIP-584).",
  usage: 'samsa features --bootstrap-server <host:port> (describe [--json] | upgrade --feature name=level … | downgrade --feature name=level … [--unsafe] | disable --feature name … [--unsafe]) [--dry-run]',
  allowPositionals: true,
  flags: {
    'bootstrap-server': { type: 'string', value: 'host:port', help: 'The broker(s) to connect to, comma-separated. Required.' },
    ...COMMAND_CONFIG_FLAG,
    json: { type: 'boolean', help: 'Print a JSON document instead of lines.' },
    feature: { type: 'string', multiple: true, value: 'name=level', help: 'A feature and its new level (upgrade, downgrade); a feature name alone (disable). Repeatable.' },
    unsafe: { type: 'boolean', help: 'Downgrade or disable even where it may lose data (UNSAFE_DOWNGRADE).' },
    'dry-run': { type: 'boolean', help: 'Check the change without making it.' },
    'release-version': { type: 'string', value: 'version', help: "Kafka's release-version shortcut; refused: give --feature levels." },
    metadata: { type: 'string', value: 'version', help: 'metadata.version; refused: Samsa has no metadata.version.' },
  },
};

/** Kafka's describe lines: one per supported feature, sorted; a feature finalized at no level shows 0. */
export function featureLines(f: FeatureMetadata): string {
  return [...f.supported.keys()]
    .sort()
    .map((name) => {
      const s = f.supported.get(name)!;
      return `Feature: ${name}\tSupportedMinVersion: ${s.minVersion}\tSupportedMaxVersion: ${s.maxVersion}\tFinalizedVersionLevel: ${f.finalized.get(name)?.maxVersionLevel ?? 0}\tEpoch: ${f.finalizedEpoch ?? '-'}\n`;
    })
    .join('');
}

export async function run(argv: string[], io: Io): Promise<number> {
  return runAdminTool(spec, argv, io, async ({ values, positionals }, connect) => {
    const command = positionals[0];
    if (command === undefined) throw new UsageError("Give a command: 'describe' (as in 'samsa features --bootstrap-server localhost:9092 describe').");
    if (['version-mapping', 'feature-dependencies'].includes(command))
      throw new UsageError(`'${command}' is not served: it maps Kafka release versions to feature levels, and Samsa has no Kafka release versions; 'describe' shows the levels.`);
    if (values['release-version'] !== undefined || values['metadata'] !== undefined)
      throw new UsageError('--release-version and --metadata set metadata.version, which Samsa does not have; give --feature name=level instead.');
    if (command === 'upgrade' || command === 'downgrade' || command === 'disable') {
      const updates = featureUpdates(command, (values['feature'] as string[] | undefined) ?? [], bool(values, 'unsafe'));
      const dryRun = bool(values, 'dry-run');
      let failure: string | null = null;
      try {
        await connect().updateFeatures(updates, { validateOnly: dryRun });
      } catch (err) {
        if (!(err instanceof KafkaError)) throw err;
        failure = err.message;
      }
      const lines = [...updates].sort((a, b) => a.feature.localeCompare(b.feature)).map((u) => {
        const what = command === 'disable' ? `disable ${u.feature}` : `${command} ${u.feature} to ${u.level}`;
        if (failure !== null) return `${dryRun ? 'Can not' : 'Could not'} ${what}. ${failure}\n`;
        return `${u.feature}${dryRun ? ' can be ' : ' was '}${command === 'disable' ? 'disabled.' : `${command}d to ${u.level}.`}\n`;
      });
      await writeOut(io.stdout, lines.join(''));
      if (failure !== null) {
        await writeOut(io.stderr, `${updates.length} out of ${updates.length} operation(s) failed.\n`);
        return 1;
      }
      return 0;
    }
    if (command !== 'describe') throw new UsageError(`Unknown command '${command}'; use describe, upgrade, downgrade or disable.`);
    const f = await connect().describeFeatures();
    if (bool(values, 'json')) {
      const doc = [...f.supported.keys()].sort().map((name) => ({
        feature: name, supportedMinVersion: f.supported.get(name)!.minVersion, supportedMaxVersion: f.supported.get(name)!.maxVersion,
        finalizedVersionLevel: f.finalized.get(name)?.maxVersionLevel ?? 0, epoch: f.finalizedEpoch,
      }));
      await writeOut(io.stdout, `${JSON.stringify(doc, null, 2)}\n`);
    } else await writeOut(io.stdout, featureLines(f));
    return 0;
  });
}

/** The --feature arguments as updates, checked as Kafka's FeatureCommand checks them. */
export function featureUpdates(command: 'upgrade' | 'downgrade' | 'disable', args: readonly string[], unsafe: boolean): FeatureUpdate[] {
  if (args.length === 0) throw new UsageError(`You must specify at least one feature to ${command}`);
  const upgradeType = command === 'upgrade' ? 'upgrade' : unsafe ? 'unsafe-downgrade' : 'safe-downgrade';
  const seen = new Set<string>();
  return args.map((arg) => {
    let feature = arg.trim();
    let level = 0;
    if (command !== 'disable') {
      const eq = arg.indexOf('=');
      if (eq < 0) throw new UsageError(`Can't parse feature=level string ${arg}: equals sign not found.`);
      feature = arg.slice(0, eq).trim();
      const text = arg.slice(eq + 1).trim();
      level = Number(text);
      if (!/^-?\d+$/.test(text) || level < -32768 || level > 32767) throw new UsageError(`Can't parse feature=level string ${arg}: unable to parse ${text} as a short.`);
    }
    if (seen.has(feature)) throw new UsageError(`Feature ${feature} was specified more than once.`);
    seen.add(feature);
    return { feature, level, upgradeType };
  });
}
