#!/usr/bin/env bash
[ $# -ge 1 ] || { echo "USAGE: $0 server.properties [--override property=value]*" >&2; exit 1; }
: "${KAFKA_HEAP_OPTS:=-Xmx1G -Xms1G}"; export KAFKA_HEAP_OPTS
SLF4J_LEVEL=info exec "$(dirname "$0")/kafka-run-class.sh" kafka.Kafka "$@"
