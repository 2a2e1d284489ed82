#!/usr/bin/env bash
# Kafka's script name: kafka-server-stop.sh [--process-role=R] [--node-id=N]; SIGNAL=KILL for another signal.
exec node "$(dirname "$0")/../dist/src/cli/main.js" server stop "$@"
