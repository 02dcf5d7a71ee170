#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make fuzz: build the libFuzzer harness of the Hyper-V core
# (tests-fuzz/fuzz-hv.c) into build/fuzz, run it for FUZZ_SECONDS (default
# 60) on the seed corpus, and print a summary: executions, exec/s,
# libFuzzer's coverage (cov: edges, ft: features), the core's line
# coverage over the resulting corpus (llvm-cov, unless FUZZ_COVERAGE=0)
# and the crashes found.  New inputs go to build/fuzz/corpus, crashes to
# build/fuzz/crashes/ (add a crash's input to tests-fuzz/corpus/ once it
# is fixed).  The last line is machine-readable:
#   FUZZ-SUMMARY seconds=S execs=N exec_per_s=E cov=C ft=F crashes=K
# Exit status: 0 when no crash was found.
#
#   --replay    only replay tests-fuzz/corpus with the gcc + ASan + UBSan
#               driver; last line "replayed N inputs"
set -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$top/build}
out="$BUILD_DIR/fuzz"
seconds=${FUZZ_SECONDS:-60}
CLANG=${CLANG:-clang-14}

mkdir -p "$out"
if [ "${1:-}" = --replay ]; then
    make -s -C "$here" O="$out" replay > "$out/build.log" 2>&1 ||
        { cat "$out/build.log"; echo "error: building the replay driver failed" >&2; exit 1; }
    "$out/replay-hv" "$here/corpus" 2> "$out/replay.log" ||
        { tail -n 30 "$out/replay.log"; exit 1; }
    exit 0
fi

case "$seconds" in
''|*[!0-9]*) echo "error: FUZZ_SECONDS must be a number of seconds" >&2; exit 1 ;;
esac
if ! command -v "$CLANG" > /dev/null; then
    echo "error: $CLANG not found: run scripts/install-deps.sh (clang-14, libclang-rt-14-dev)" >&2
    exit 1
fi
rt=$("$CLANG" -print-resource-dir 2>/dev/null)/lib/linux/libclang_rt.fuzzer-x86_64.a
if [ ! -f "$rt" ]; then
    echo "error: libFuzzer ($rt) missing: run scripts/install-deps.sh (libclang-rt-14-dev)" >&2
    exit 1
fi
make -s -C "$here" O="$out" CLANG="$CLANG" fuzzer replay > "$out/build.log" 2>&1 ||
    { cat "$out/build.log"; echo "error: building the fuzzer failed" >&2; exit 1; }

mkdir -p "$out/corpus" "$out/crashes"
before=$(ls "$out/crashes" | wc -l)
echo ">> fuzz: $seconds s on $(ls "$here/corpus" | wc -l) seed inputs" \
     "(+ $(ls "$out/corpus" | wc -l) from earlier runs in $out/corpus)"
log="$out/fuzz.log"
"$out/fuzz-hv" -max_total_time="$seconds" -print_final_stats=1 \
    -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$out/crashes/" "$out/corpus" "$here/corpus" > "$log" 2>&1
rc=$?
crashes=$(( $(ls "$out/crashes" | wc -l) - before ))
if [ $rc != 0 ] && [ $crashes = 0 ]; then
    crashes=1
fi
if [ $crashes != 0 ]; then
    grep -E 'INVARIANT|ERROR: |runtime error|SUMMARY|Test unit written' "$log" | head -20
fi

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
units=$(ls "$out/corpus" | wc -l)
echo "fuzz: ${execs:-0} executions in $seconds s (${rate:-0} exec/s)," \
     "cov: ${cov:-0} edges, ft: ${ft:-0} features, corpus $units inputs," \
     "$crashes crash(es) (log: $log)"

# Line coverage of the core over the corpus (cheap: one replay)
if [ "${FUZZ_COVERAGE:-1}" != 0 ] && command -v llvm-profdata-14 > /dev/null &&
   command -v llvm-cov-14 > /dev/null &&
   make -s -C "$here" O="$out" CLANG="$CLANG" covrep >> "$out/build.log" 2>&1; then
    rm -f "$out"/cov-*.profraw
    LLVM_PROFILE_FILE="$out/cov-%p.profraw" "$out/replay-hv-cov" \
        "$out/corpus" "$here/corpus" > /dev/null 2>&1
    if llvm-profdata-14 merge -o "$out/cov.profdata" "$out"/cov-*.profraw 2> /dev/null; then
        model="$top/target-i386-hyperv"
        llvm-cov-14 report "$out/replay-hv-cov" -instr-profile="$out/cov.profdata" \
            "$model/hv-msr.c" "$model/hv-hypercall.c" "$model/hv-synic.c" \
            "$model/hv-stimer.c" > "$out/coverage.txt" 2> /dev/null
        awk '/^([^ ]*\.c|TOTAL) / {
                 n = split($1, p, "/"); name = p[n];
                 printf "fuzz: line coverage %-15s %s of %s lines (%s)\n",
                        name, $8 - $9, $8, $10 }' "$out/coverage.txt"
    fi
fi
echo "FUZZ-SUMMARY seconds=$seconds execs=${execs:-0} exec_per_s=${rate:-0}" \
     "cov=${cov:-0} ft=${ft:-0} crashes=$crashes"
[ "$crashes" = 0 ]
