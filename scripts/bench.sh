#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make bench: what the enlightenments buy a Linux guest under TCG.
#
# The make demo guest (Debian's kernel + the busybox initramfs of
# scripts/demo-guest.sh, which also carries scripts/bench-guest.c and
# scripts/bench-init.sh) is booted with the same QEMU binary, hv-* on and
# off, BENCH_RUNS times per configuration (interleaved), and each boot runs
# the benchmarks its configuration asks for (kernel command line
# bench.tests=...).  Then the freestanding qtest payload
# (tests-qtest/guest/tests-bench.c, tests-hotpath.c) times hypercalls,
# SynIC message and event round trips, and the hot paths every guest takes
# (PAUSE, HLT, OUT, RDTSC, RDMSR, an interrupt: hv-* vs none vs stock
# QEMU) in guest TSC cycles at CPL 0, which a Linux user process cannot
# reach.  scripts/bench-report.py prints the medians with
# min/max and each target of the issue as MET / MISSED, saved to
# build/bench/report.txt, and draws build/bench/bench.png with gnuplot.
#
# Settings (environment or make variables):
#   BENCH_QUICK=1      one run each, shorter benchmarks and idle window (~5 min)
#   BENCH_RUNS=4       runs per configuration (median, min, max); odd runs
#                      go through the configurations in order, even ones
#                      backwards
#   BENCH_MS=1500      milliseconds per clock/tlb/ipi measurement
#   BENCH_IDLE=30      seconds of the idle-guest host CPU measurement
#   BENCH_INTEL=Skylake-Client-v4  BENCH_AMD=EPYC-v4   the CPU models
#   BENCH_SMP="2 4 8"  vCPU counts of the overcommit benchmarks (and, with 1,
#                      of the hv-invtsc clock reads)
#   BENCH_ONLY=regex   only the configurations whose label matches (the
#                      guest-cycles ones are cycles-*)
#   BENCH_ITER=20000   samples per guest-cycles measurement (2000 for the
#                      SynIC round trips)
#   BENCH_CYCLE_RUNS   runs of each guest-cycles configuration (default
#                      BENCH_RUNS, at least 5: they take seconds)
#   BENCH_STOCK=auto   the upstream anchor (hv-* off only): auto builds the
#                      same QEMU source without the series, configured
#                      alike (scripts/build-qemu-stock.sh); a path uses
#                      that qemu-system-x86_64 (e.g. Debian's
#                      /usr/bin/qemu-system-x86_64); none skips it
#   DEMO_QEMU=/path    benchmark this qemu-system-x86_64 instead of building
set -e -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$top/build}
mkdir -p "$BUILD_DIR"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
export BUILD_DIR

die() { echo "error: $*" >&2; exit 1; }

if [ "${BENCH_QUICK:-0}" != 0 ]; then
    BENCH_RUNS=${BENCH_RUNS:-1} BENCH_MS=${BENCH_MS:-700} BENCH_IDLE=${BENCH_IDLE:-10}
    BENCH_ITER=${BENCH_ITER:-5000} BENCH_CYCLE_RUNS=${BENCH_CYCLE_RUNS:-3}
fi
BENCH_ITER=${BENCH_ITER:-20000}
BENCH_RUNS=${BENCH_RUNS:-4}
BENCH_MS=${BENCH_MS:-1500}
BENCH_IDLE=${BENCH_IDLE:-30}
BENCH_INTEL=${BENCH_INTEL:-Skylake-Client-v4}
BENCH_AMD=${BENCH_AMD:-EPYC-v4}
BENCH_SMP=${BENCH_SMP:-2 4 8}
BENCH_STOCK=${BENCH_STOCK:-auto}
BENCH_CYCLE_RUNS=${BENCH_CYCLE_RUNS:-$(( BENCH_RUNS > 5 ? BENCH_RUNS : 5 ))}
for v in BENCH_RUNS BENCH_MS BENCH_IDLE BENCH_ITER BENCH_CYCLE_RUNS; do
    [[ ${!v} =~ ^[0-9]+$ ]] && [ "${!v}" -ge 1 ] || die "$v=${!v} is not a positive number"
done
HV=hv-relaxed,hv-vapic,hv-spinlocks=0x1fff,hv-vpindex,hv-runtime,hv-time,hv-synic,hv-stimer,hv-stimer-direct,hv-frequencies,hv-ipi,hv-tlbflush,hv-reset,hv-crash,hv-reenlightenment
# The same without the PV flush: the guest shoots TLBs down with (PV) IPIs
HV_NOFLUSH=${HV/,hv-tlbflush/}
# Issue #14: the hv set with the invariant TSC control, with the guest idle
# MSR (Linux's Hyper-V PV qspinlock: it needs hv-ipi's cluster-IPI hint too)
HV_INVTSC=$HV,hv-invtsc
HV_GIDLE=$HV,hv-guest-idle

out="$BUILD_DIR/bench"
mkdir -p "$out"
t_all=$SECONDS

echo "== build QEMU (scripts/build-qemu.sh) and what the bench needs (gnuplot)"
export EXTRA_PKGS="${EXTRA_PKGS:+$EXTRA_PKGS }cpio kmod gnuplot-nox"
if [ -n "$DEMO_QEMU" ]; then
    [ -x "$DEMO_QEMU" ] || die "DEMO_QEMU=$DEMO_QEMU is not an executable"
    bash "$here/install-deps.sh"
    qemu=$DEMO_QEMU
else
    QEMU_EXTRA_TARGETS="${QEMU_EXTRA_TARGETS:+$QEMU_EXTRA_TARGETS }tests/qtest/hyperv/hv-guest.elf" \
        bash "$here/build-qemu.sh" | tee "$out/build-qemu.out" || die "building QEMU failed (see above)"
    qemu=$(tail -n 1 "$out/build-qemu.out")
    [ -x "$qemu" ] || die "scripts/build-qemu.sh did not produce qemu-system-x86_64"
fi
bdir="$BUILD_DIR/qemu-build"
# The same binary for every boot, even if the tree is rebuilt meanwhile.
cp "$qemu" "$out/qemu-system-x86_64.bench"
qemu_desc="$qemu ($(sha256sum < "$qemu" | cut -c1-12), $("$qemu" --version | head -n 1))"
qemu=$out/qemu-system-x86_64.bench
# The guest-cycles payload (tests-qtest/guest), when it was built
payload=$bdir/tests/qtest/hyperv/hv-guest.elf
if [ -f "$payload" ]; then
    cp "$payload" "$out/hv-guest.elf.bench"
    payload=$out/hv-guest.elf.bench
else
    echo ">> no qtest guest payload at $payload: the guest-cycles rows are skipped"
    payload=
fi

echo "== guest (scripts/demo-guest.sh)"
bash "$here/demo-guest.sh" "$out/guest.env" || die "building the guest failed"
source "$out/guest.env"
# Copies too: a make demo meanwhile may rebuild build/demo under our feet
cp "$DEMO_GUEST_KERNEL" "$out/vmlinuz.bench"
cp "$DEMO_GUEST_INITRD" "$out/initrd.bench"
DEMO_GUEST_KERNEL=$out/vmlinuz.bench DEMO_GUEST_INITRD=$out/initrd.bench

# The upstream anchor: by default the very source of our build without the
# series (same version, same configure options), so that "ours / stock"
# measures the series and nothing else; Debian 12's own qemu-system-x86 is
# QEMU 7.2, another TCG altogether (BENCH_STOCK=/usr/bin/qemu-system-x86_64
# still uses it).
stock= stock_desc=none
if [ "$BENCH_STOCK" = auto ]; then
    echo "== stock QEMU: the same source without the series (scripts/build-qemu-stock.sh)"
    if bash "$here/build-qemu-stock.sh" > "$out/build-stock.out" 2>&1 &&
       [ -x "$(tail -n 1 "$out/build-stock.out")" ]; then
        BENCH_STOCK=$(tail -n 1 "$out/build-stock.out")
    else
        tail -n 5 "$out/build-stock.out" | sed 's/^/   /'
        echo ">> building stock QEMU failed: the upstream anchor is skipped"
        BENCH_STOCK=none
    fi
fi
if [ "$BENCH_STOCK" != none ] && [ -x "$BENCH_STOCK" ] &&
   [ "$(readlink -f "$BENCH_STOCK")" != "$(readlink -f "$qemu")" ]; then
    cp "$BENCH_STOCK" "$out/qemu-stock.bench"
    stock=$out/qemu-stock.bench
    stock_desc="$BENCH_STOCK ($(sha256sum < "$BENCH_STOCK" | cut -c1-12), $("$stock" --version | head -n 1))"
    echo ">> upstream anchor: $stock_desc"
else
    echo ">> no stock QEMU (BENCH_STOCK=$BENCH_STOCK): the upstream anchor is skipped"
fi

# The configurations: label binary cpu smp tests extra-append.  The labels
# are what scripts/bench-report.py knows: <vendor>-<smp>-<hv|nohv>[-variant].
configs=()
add() { configs+=("$*"); }
i=$BENCH_INTEL a=$BENCH_AMD
add intel-1-nohv  ours "$i"     1 clock,tlb,ipi -
add intel-1-hv    ours "$i,$HV" 1 clock,tlb,ipi -
add intel-1-hv-noflush ours "$i,$HV_NOFLUSH" 1 tlb -
for n in $BENCH_SMP; do
    add "intel-$n-nohv" ours "$i"     "$n" clock,tlb,ipi,spin -
    add "intel-$n-hv"   ours "$i,$HV" "$n" clock,tlb,ipi,spin -
    # The kernel spinlock alone, without and with hv-guest-idle, one boot
    # right after the other (same host state, same place in the boot)
    add "intel-$n-hv-futex" ours "$i,$HV" "$n" futex -
    add "intel-$n-hv-gidle" ours "$i,$HV_GIDLE" "$n" futex -
    add "intel-$n-hv-noflush" ours "$i,$HV_NOFLUSH" "$n" tlb -
done
add amd-4-nohv          ours "$a"     4 clock,tlb,ipi -
add amd-4-hv            ours "$a,$HV" 4 clock,tlb,ipi -
# hv-invtsc: Linux's clocksource and clock_gettime at every vCPU count, on
# both vendors; the AMD model without hv-* falls back to the HPET once it
# has more than one vCPU
for n in 1 $BENCH_SMP; do
    add "intel-$n-hv-invtsc" ours "$i,$HV_INVTSC" "$n" clock -
    add "amd-$n-hv-invtsc"   ours "$a,$HV_INVTSC" "$n" clock -
    [ "$n" = 4 ] || add "amd-$n-nohv" ours "$a" "$n" clock -
done
add intel-4-nohv-tscrel ours "$i"     4 clock,tlb     tsc=reliable
add intel-4-hv-tscrel   ours "$i,$HV" 4 clock,tlb     tsc=reliable
add intel-4-nohv-idle   ours "$i"     4 idle          -
add intel-4-hv-idle     ours "$i,$HV" 4 idle          -
if [ -n "$stock" ]; then
    add intel-1-nohv-stock stock "$i" 1 clock,tlb,ipi -
    add intel-4-nohv-stock stock "$i" 4 clock,tlb,ipi -
fi

rm -rf "$out"/runs
mkdir -p "$out/runs"
total=0
for c in "${configs[@]}"; do
    read -r label _ <<< "$c"
    [[ -z "$BENCH_ONLY" || $label =~ $BENCH_ONLY ]] && total=$((total + 1))
done
total=$((total * BENCH_RUNS))
echo "== $total boots: $BENCH_RUNS run(s) of each configuration, ${BENCH_MS} ms per measurement," \
     "${BENCH_IDLE} s idle window"
# Even runs go through the configurations backwards: each hv / no-hv pair
# boots in both orders (ABBA), so that the shared host's drift over the
# run cannot favour one side by always reaching it first
reversed=()
for ((j = ${#configs[@]} - 1; j >= 0; j--)); do
    reversed+=("${configs[j]}")
done
k=0
for r in $(seq 1 "$BENCH_RUNS"); do
    order=("${configs[@]}")
    [ $((r % 2)) = 0 ] && order=("${reversed[@]}")
    for c in "${order[@]}"; do
        read -r label bin cpu smp tests extra <<< "$c"
        [[ -z "$BENCH_ONLY" || $label =~ $BENCH_ONLY ]] || continue
        k=$((k + 1))
        q=$qemu
        [ "$bin" = stock ] && q=$stock
        dir="$out/runs/$label.$r"
        mkdir -p "$dir"
        app="console=ttyS0 panic=-1 bench.tests=$tests bench.ms=$BENCH_MS bench.idle=$BENCH_IDLE"
        [ "$extra" = - ] || app+=" $extra"
        t0=$SECONDS
        /usr/bin/python3 "$here/demo-run.py" --out "$dir" --label "$label.$r" --timeout 400 \
            --end-marker BENCH-END -- \
            "$q" -accel tcg -machine q35 -smp "$smp" -m 512 -nodefaults -display none \
            -no-reboot -L "$bdir/pc-bios" -L /usr/share/seabios -cpu "$cpu" \
            -kernel "$DEMO_GUEST_KERNEL" -initrd "$DEMO_GUEST_INITRD" -append "$app" \
            > "$dir/progress.log" 2>&1 || true
        printf '   [%2d/%d] %-22s run %d: %3ds, %s\n' "$k" "$total" "$label" "$r" $((SECONDS - t0)) \
            "$(grep -c '^BENCH ' "$dir/serial.log" 2> /dev/null || echo 0) result lines"
    done
done

# Guest cycles: the qtest payload, booted directly; with verbose=1 it
# prints each record as "rec NAME hex-values" on the debugcon.  The
# configurations: label binary cpu smp test extra-qemu-args.  The hot
# paths run hv-* / none / stock, interleaved like the boots above.
cconfigs=()
cadd() { cconfigs+=("$*"); }
cadd cycles-hcall-hv   ours "$i,$HV" 1 bench-hcall -
cadd cycles-hcall-nohv ours "$i"     1 bench-hcall -
cadd cycles-sint-1     ours "$i,$HV" 1 bench-sint  "-device hyperv-testdev"
cadd cycles-sint-2     ours "$i,$HV" 2 bench-sint  "-device hyperv-testdev"
cadd cycles-hot-hv     ours "$i,$HV" 1 bench-hotpath -
cadd cycles-hot-nohv   ours "$i"     1 bench-hotpath -
if [ -n "$stock" ]; then
    cadd cycles-hot-stock stock "$i" 1 bench-hotpath -
fi
rm -rf "$out/cycles"
if [ -n "$payload" ]; then
    echo "== guest cycles: the qtest payload, $BENCH_CYCLE_RUNS run(s) of each configuration," \
         "$BENCH_ITER samples per measurement"
    for r in $(seq 1 "$BENCH_CYCLE_RUNS"); do
        for c in "${cconfigs[@]}"; do
            read -r label bin cpu smp test extra <<< "$c"
            [[ -z "$BENCH_ONLY" || $label =~ $BENCH_ONLY ]] || continue
            q=$qemu
            [ "$bin" = stock ] && q=$stock
            dir="$out/cycles/$label.$r"
            mkdir -p "$dir"
            iter=$BENCH_ITER
            [ "$test" = bench-sint ] && iter=$(( (BENCH_ITER + 9) / 10 ))
            [ "$extra" = - ] && extra=
            t0=$SECONDS
            # shellcheck disable=SC2086 # $extra: several arguments
            "$q" -accel tcg -machine q35 -cpu "$cpu" -smp "$smp" -m 128 -nodefaults \
                -display none -no-reboot -L "$bdir/pc-bios" -L /usr/share/seabios \
                -kernel "$payload" -append "test=$test smp=$smp verbose=1 iterations=$iter" \
                -chardev "file,id=dbg,path=$dir/debugcon.log" \
                -device isa-debugcon,iobase=0xe9,chardev=dbg $extra \
                > "$dir/qemu.log" 2>&1 &
            pid=$!
            # The payload parks its CPUs when done: stop QEMU then
            end=$((SECONDS + 120))
            while kill -0 "$pid" 2> /dev/null && [ $SECONDS -lt $end ] &&
                  ! grep -qE '^hv-guest: test .* (passed|FAILED)' "$dir/debugcon.log" 2> /dev/null; do
                sleep 0.2
            done
            kill "$pid" 2> /dev/null || true
            wait "$pid" 2> /dev/null || true
            printf '   %-22s run %d: %3ds, %s records%s\n' "$label" "$r" $((SECONDS - t0)) \
                "$(grep -c '^rec bench' "$dir/debugcon.log" 2> /dev/null || true)" \
                "$(grep -q '^FAIL' "$dir/debugcon.log" 2> /dev/null &&
                   { [[ $label = *nohv ]] && echo ' (no hypercalls without hv: expected)' ||
                     echo ', guest reported FAIL'; })"
        done
    done
fi

echo "== report"
/usr/bin/python3 "$here/bench-report.py" --runs "$out/runs" --cycles "$out/cycles" --out "$out" \
    --qemu "$qemu_desc" --stock "$stock_desc" --intel "$BENCH_INTEL" --amd "$BENCH_AMD" \
    --hv "$HV" --smp "$BENCH_SMP" --ms "$BENCH_MS" --idle "$BENCH_IDLE" --nruns "$BENCH_RUNS" \
    --cycle-runs "$BENCH_CYCLE_RUNS"
echo "(report saved to $out/report.txt, chart $out/bench.png; logs under $out/runs;" \
     "make bench took $(( (SECONDS - t_all) / 60 )) min $(( (SECONDS - t_all) % 60 )) s)"
