#!/usr/bin/env bash
# Durable sends/s (REST and command gateway; 100 groups, a hot group of 100,000 events, an empty group) against
# the INSERT ceiling of the same PostgreSQL. Usage: bench/send-benchmark.sh [concurrency] [seconds] [hot size]
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -q -B -DskipTests install
./mvnw -q -B -pl bench exec:java -Dexec.mainClass=io.chorus.bench.send.SendBenchmark -Dexec.args="$*"
