#!/usr/bin/env bash
# Send→deliver latency (p50/p99/p99.9) and the highest fan-out with p99 <= 100 ms of Chorus's STOMP push against a
# bare Spring STOMP simple broker with the same client harness, each server in its own JVM (-Xmx512m); then
# Chorus's heap after a full GC with heapConnections subscribed.
# Usage: bench/push-benchmark.sh [connections=1000] [groups=100] [rate=2000] [seconds=30] [heapConnections=5000]
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -q -B -DskipTests install
./mvnw -q -B -pl bench dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
# PUSH_BENCH_JFR=<directory>: a JFR profile of the harness too (harness.jfr; the servers' are chorus.jfr, bare-broker.jfr)
exec java -Xmx2g ${PUSH_BENCH_JFR:+-XX:StartFlightRecording=filename=$PUSH_BENCH_JFR/harness.jfr,settings=profile,dumponexit=true} -cp "bench/target/classes:$(cat bench/target/classpath.txt)" io.chorus.bench.push.PushBenchmark "$@"
