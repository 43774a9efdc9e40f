#!/usr/bin/env bash
# kafka-run-class.sh of the stand-in: the distribution's environment knobs (KAFKA_HEAP_OPTS,
# KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_OPTS) and every jar in /opt/kafka/libs on the class path.
[ $# -ge 1 ] || { echo "USAGE: $0 classname [opts]" >&2; exit 1; }
: "${KAFKA_HEAP_OPTS:=-Xmx256M}"
: "${KAFKA_JVM_PERFORMANCE_OPTS:=-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true}"
# slf4j-simple: the tools print warnings only, the broker informs
: "${SLF4J_LEVEL:=warn}"
exec java $KAFKA_HEAP_OPTS $KAFKA_JVM_PERFORMANCE_OPTS -Dorg.slf4j.simpleLogger.defaultLogLevel=$SLF4J_LEVEL \
    ${KAFKA_OPTS-} -cp '/opt/kafka/libs/*' "$@"
