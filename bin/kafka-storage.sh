#!/usr/bin/env bash
# Kafka's script name: kafka-storage.sh random-uuid | format -t <cluster-id> -c <server.properties> [--standalone]
exec node "$(dirname "$0")/../dist/src/cli/main.js" storage "$@"
