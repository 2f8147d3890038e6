#!/bin/sh
# Runs one libFuzzer target for a bounded time, as the ctest test does:
#   run_fuzzer.sh FUZZER SEED_DIR WORK_DIR SECONDS [extra libFuzzer flags]
# New inputs go to WORK_DIR (a fresh copy each run, so the committed seeds are
# never modified); a crash leaves its input in WORK_DIR/artifacts and makes
# libFuzzer exit non-zero, which fails the test.
set -eu
fuzzer=$1 seeds=$2 work=$3 seconds=$4
shift 4
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
cp -R "$seeds/." "$work/corpus/"
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$@" "$work/corpus"
