#!/usr/bin/env bash
# The long adversarial run of the event stream: >= N events from W writers with random commit delays while a
# reader follows; prints lost (must be 0), duplicates, and read throughput against a raw keyset scan.
# Usage: bench/stream-hazard.sh [events=1000000] [writers=16]
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -q -B -DskipTests install
./mvnw -q -B -pl bench exec:java -Dexec.mainClass=io.chorus.bench.stream.StreamHazardMain -Dexec.args="${1:-1000000} ${2:-16}"
