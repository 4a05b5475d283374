#!/usr/bin/env bash
# Recent-page reads/s and p99 at 50 readers against redis-benchmark LRANGE on the same Redis; older pages from
# PostgreSQL; history and window rebuild speed over groups × events-per-group events against a raw keyset scan and
# Axon's stock one-event-per-transaction tracking processor. Needs redis-benchmark (apt-get install redis-tools)
# for the ceiling. Usage: bench/read-benchmark.sh [groups=1000] [events per group=1000] [read s=20] [stock s=60]
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -q -B -DskipTests install
./mvnw -q -B -pl bench exec:java -Dexec.mainClass=io.chorus.bench.read.ReadBenchmark -Dexec.args="$*"
