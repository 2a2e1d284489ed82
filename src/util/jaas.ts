/**
 * Kafka's JAAS lines, `<LoginModule class> required name="value" name2="value2";`, as brokers
 * (users) and clients (their own username and password) write them in `sasl.jaas.config`.
 * Returns the module and its options, or a sentence saying what is wrong.
 */
export function parseJaasLine(text: string): { module: string; options: Map<string, string> } | string {
  const m = /^\s*([\w.$]+)\s+(required|requisite|sufficient|optional)\s*([\s\S]*?)\s*;?\s*$/.exec(text);
  if (m === null) return 'not a JAAS line; write it as org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="alice-secret";';
  const options = new Map<string, string>();
  const rest = m[3]!;
  const option = /([\w.]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;"]+))\s*/y;
  let at = 0;
  while (at < rest.length) {
    option.lastIndex = at;
    const o = option.exec(rest);
    if (o === null) return `cannot read the JAAS options from '${rest.slice(at, at + 20)}…'; write each as name="value"`;
    options.set(o[1]!, o[2] !== undefined ? o[2].replace(/\\(.)/g, '$1') : o[3]!);
    at = option.lastIndex;
  }
  return { module: m[1]!, options };
}

export const PLAIN_LOGIN_MODULE = 'org.apache.kafka.common.security.plain.PlainLoginModule';
export const SCRAM_LOGIN_MODULE = 'org.apache.kafka.common.security.scram.ScramLoginModule';
export const OAUTH_LOGIN_MODULE = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule';

/**
 * A JAAS file as Kafka reads it from `-Djava.security.auth.login.config` (KAFKA_OPTS):
 * `Context { <module> required k="v" …; … };` blocks, e.g. `KafkaServer { … };` or
 * `sasl_ssl.KafkaServer { … };`. Returns each context's login module lines, or a sentence.
 */
export function parseJaasFile(text: string): Map<string, Array<{ module: string; options: Map<string, string> }>> | string {
  const contexts = new Map<string, Array<{ module: string; options: Map<string, string> }>>();
  const body = text.replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g, '');
  const block = /([\w.-]+)\s*\{([\s\S]*?)\}\s*;/g;
  let rest = body;
  for (const m of body.matchAll(block)) {
    const entries: Array<{ module: string; options: Map<string, string> }> = [];
    for (const line of m[2]!.split(/;\s*(?=[\w.$]+\s+(?:required|requisite|sufficient|optional)\b|$)/).map((l) => l.trim()).filter((l) => l !== '')) {
      const parsed = parseJaasLine(line);
      if (typeof parsed === 'string') return `context ${m[1]}: ${parsed}`;
      entries.push(parsed);
    }
    contexts.set(m[1]!, entries);
    rest = rest.replace(m[0], '');
  }
  if (rest.trim() !== '') return `cannot read '${rest.trim().slice(0, 30)}…'; write each context as Name { <LoginModule> required key="value"; };`;
  return contexts;
}
