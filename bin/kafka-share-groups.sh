#!/usr/bin/env bash
# Kafka's script name, running Samsa's tool of the same name.
exec node "$(dirname "$0")/../dist/src/cli/main.js" share-groups "$@"
