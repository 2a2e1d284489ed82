// DescribeConfigs (key 32), versions 0–4.
// Topic resources: every Kafka 4 topic config with its value and source (DYNAMIC_TOPIC_CONFIG for
// an override, else the broker level that sets it, else DEFAULT_CONFIG), synonyms as Kafka's
// ConfigHelper lists them. Broker resources: this broker's id (every Kafka broker key and every key
// given or set dynamically, read-only unless Kafka can change it at runtime) or '' for the
// cluster-wide dynamic defaults. Group resources (32, Kafka 4): every group config, the group's
// override (GROUP_CONFIG) or the broker's value. configuration_keys filters; unknown keys are left out.
// v0: is_default (the source is DEFAULT_CONFIG) instead of a source. v1+: config source and synonyms (when include_synonyms). v3+: config type and documentation
// (our own sentences, when include_documentation). v4+: flexible.
// Password keys and keys of no known
// type (custom ones) are sensitive: their values are null, as in Kafka.
import { KafkaError } from '../../protocol/errors.js';
import { DescribeConfigsRequestSchema, DescribeConfigsResponseSchema, type DescribeConfigsRequest, type DescribeConfigsResponse, type DescribeConfigsResponseDescribeConfigsResult } from '../../protocol/messages/32-describe-configs.js';
import { ConfigSource, describeBrokerConfigs, describeClientMetricsConfigs, describeGroupConfigs, describeTopicConfigs } from '../topic-configs.js';
import { asResourceError, resolveResource } from '../config-changes.js';
import { Op, configResourceRefusal } from '../access.js';
import type { Handler } from '../handler.js';

export const describeConfigsHandler: Handler<DescribeConfigsRequest, DescribeConfigsResponse> = {
  apiKey: 32,
  minVersion: 0,
  maxVersion: 4,
  request: DescribeConfigsRequestSchema,
  response: DescribeConfigsResponseSchema,
  async handle(ctx, req) {
    const results = req.resources.map((res): DescribeConfigsResponseDescribeConfigsResult => {
      const out = { errorCode: 0, errorMessage: null, resourceType: res.resourceType, resourceName: res.resourceName, configs: [] };
      try {
        const refusal = configResourceRefusal(ctx, Op.DESCRIBE_CONFIGS, res.resourceType, res.resourceName);
        if (refusal !== 0) throw new KafkaError(refusal);
        const r = resolveResource(ctx, res.resourceType, res.resourceName);
        const { dynamicConfig, topics } = ctx.broker;
        const entries =
          r.kind === 'topic' ? describeTopicConfigs(dynamicConfig, topics.require(r.name).configs)
          : r.kind === 'group' ? describeGroupConfigs(dynamicConfig, ctx.broker.groupConfigs.overrides(r.name))
          : r.kind === 'client-metrics' ? describeClientMetricsConfigs(ctx.broker.telemetry.resources.configs(r.name))
          : describeBrokerConfigs(dynamicConfig, r.scope);
        const wanted = res.configurationKeys === null ? null : new Set(res.configurationKeys);
        return {
          ...out,
          configs: entries
            .filter((e) => wanted === null || wanted.has(e.name))
            .map((e) => ({
              name: e.name, value: e.value, readOnly: e.readOnly, isDefault: e.configSource === ConfigSource.DEFAULT_CONFIG,
              configSource: e.configSource, isSensitive: e.isSensitive, synonyms: req.includeSynonyms ? e.synonyms : [],
              configType: e.configType, documentation: req.includeDocumentation ? e.documentation : null,
            })),
        };
      } catch (err) {
        return { ...out, ...asResourceError(err) };
      }
    });
    return { throttleTimeMs: 0, results };
  },
};
