/**
 * The client-config flags the client tools share: Kafka's config files (--command-config,
 * --producer.config, --consumer.config) and key=value lists (--producer-property,
 * --consumer-property, --producer-props), merged in Kafka's order — the file, then the list, then
 * the tool's own flags — and mapped onto Samsa's client options (src/client/properties.ts).
 * Keys the client does not honour get a warning line each; TLS and SASL settings stop the tool
 * before it connects.
 */
import { readPropertiesFile } from '../cluster/config.js';
import { clientProperties, createClient, type Admin, type ClientProperties, type ClientRole } from '../client/index.js';
import { bool, bootstrapServer, helpText, keyValues, parseFlags, reportError, str, type FlagSpec, type Io, type ParsedFlags, type ToolSpec } from './common.js';

export const COMMAND_CONFIG_FLAG: Record<string, FlagSpec> = {
  'command-config': {
    type: 'string',
    value: 'file',
    help: 'A properties file of admin client settings (client.id, request.timeout.ms, …); TLS and SASL settings are refused.',
  },
};

export interface ConfigSources {
  role: ClientRole;
  /** A properties file, e.g. from --consumer.config. */
  file?: string;
  /** key=value items and the flag they came from, e.g. --consumer-property. */
  items?: { flag: string; values: string[] };
  /** The tool's own flags as properties (bootstrap.servers from --bootstrap-server, …); they win. */
  overrides?: Record<string, string | undefined>;
}

export interface ClientConfig extends ClientProperties {
  /** Every key and value after merging, for the tool's own keys (e.g. group.id checks). */
  merged: Map<string, string>;
}

/** Merges the sources, refuses security settings, warns about each key the client ignores. */
export function loadClientConfig(s: ConfigSources, io: Io): ClientConfig {
  const merged = new Map<string, string>();
  if (s.file !== undefined) for (const [k, v] of Object.entries(readPropertiesFile(s.file))) merged.set(k, v);
  if (s.items !== undefined) for (const [k, v] of keyValues(s.items.values, s.items.flag)) merged.set(k, v);
  for (const [k, v] of Object.entries(s.overrides ?? {})) if (v !== undefined) merged.set(k, v);
  const props = clientProperties(merged, s.role);
  for (const key of props.unsupported) io.stderr.write(`Ignoring ${key}: samsa's ${s.role} client does not support it yet.\n`);
  return { ...props, merged };
}

/** The admin client of an admin tool: --bootstrap-server plus the settings of --command-config. */
export function adminFromFlags(values: ParsedFlags, io: Io, clientId: string): Admin {
  const servers = bootstrapServer(values);
  const config = loadClientConfig({ role: 'admin', file: str(values, 'command-config'), overrides: { 'bootstrap.servers': servers } }, io);
  return createClient({ clientId, ...config.client, bootstrapServers: servers }).admin();
}

/**
 * An admin tool's frame: flags parsed, --help answered, every failure turned into a sentence and
 * an exit code, and the admin client, made by `connect` once the tool has checked its flags
 * (as client `samsa-<tool>`), closed at the end.
 */
export async function runAdminTool(
  spec: ToolSpec,
  argv: string[],
  io: Io,
  body: (flags: { values: ParsedFlags; positionals: string[] }, connect: () => Admin) => Promise<number>,
): Promise<number> {
  let admin: Admin | undefined;
  try {
    const flags = parseFlags(spec, argv);
    if (bool(flags.values, 'help')) {
      io.stdout.write(helpText(spec));
      return 0;
    }
    return await body(flags, () => (admin ??= adminFromFlags(flags.values, io, `samsa-${spec.name}`)));
  } catch (err) {
    return reportError(err, io);
  } finally {
    await admin?.close();
  }
}
