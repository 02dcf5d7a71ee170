#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make demo: build QEMU with qemu-hyperv, boot a Linux guest under TCG with a
# full set of hv-* enlightenments (and VMBus + the Hyper-V balloon), boot it
# again without any, and report per enlightenment: requested -> in the
# guest's CPUID -> used by the guest, with the evidence, side by side.
#
#   1. QEMU        scripts/build-qemu.sh (the same pipeline as "make")
#   2. guest       scripts/demo-guest.sh: Debian's kernel package + a
#                  busybox-static initramfs with hv_vmbus/hv_utils/hv_balloon
#                  and scripts/demo-init.sh as /init, under build/demo/
#   3. boots       scripts/demo-run.py, once with hv-*, once without
#   4. report      scripts/demo-report.py (also saved to build/demo/report.txt)
#   5. bisect      with DEMO_BISECT=1, when the hv-* boot failed
#
# Settings (environment or make variables):
#   DEMO_CPU=max            CPU model, with optional extra properties; hv-*
#                           properties in it replace the default hv set
#   DEMO_HV=hv-relaxed,...  the hv set (default: see below)
#   DEMO_SMP=2  DEMO_MEM=512 (MiB)  DEMO_TIMEOUT=600 (seconds per boot)
#   DEMO_BALLOON=384        MiB the Hyper-V balloon is asked for (0: don't)
#   DEMO_MEMHINT=256        MiB a guest process touches and frees, to see
#                           QEMU's RSS go back down (cold discard; 0: don't)
#   DEMO_KERNEL=<package>   another Debian kernel package (e.g. a
#                           bookworm-backports linux-image-*-amd64)
#   DEMO_KERNEL_IMAGE=/path DEMO_INITRD=/path   your own kernel + initrd
#   DEMO_DISK=<image>       boot your disk image (snapshot=on: it is not
#                           modified) with the same hv set
#   DEMO_APPEND="..."       extra kernel command line
#   DEMO_NOHV=0             skip the run without hv-*
#   DEMO_QEMU=/path         use this qemu-system-x86_64 instead of building
#   DEMO_BISECT=1           when the hv-* boot fails, boot again without each
#                           hv-* property in turn and say which one it follows
#   DEMO_TAP=<file>         also write the report as TAP lines (make check)
#   DEMO_GUEST=payload      the old demo: the freestanding qtest payload
#                           prints the Hyper-V CPUID leaves (no download)
set -e -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$top/build}
mkdir -p "$BUILD_DIR"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
export BUILD_DIR

die() { echo "error: $*" >&2; exit 1; }

case "${DEMO_GUEST:-linux}" in
payload) exec bash "$here/demo-payload.sh" ;;
linux) ;;
*) die "DEMO_GUEST=$DEMO_GUEST: use 'linux' (the default) or 'payload'" ;;
esac

DEFAULT_HV=hv-relaxed,hv-vapic,hv-spinlocks=0x1fff,hv-vpindex,hv-runtime,hv-time,hv-synic,hv-stimer,hv-stimer-direct,hv-frequencies,hv-ipi,hv-tlbflush,hv-reset,hv-crash,hv-reenlightenment,hv-invtsc,hv-guest-idle,hv-ext-hypercalls
DEMO_CPU=${DEMO_CPU:-max}
DEMO_SMP=${DEMO_SMP:-2}
DEMO_MEM=${DEMO_MEM:-512}
DEMO_TIMEOUT=${DEMO_TIMEOUT:-600}
DEMO_BALLOON=${DEMO_BALLOON:-384}
DEMO_NOHV=${DEMO_NOHV:-1}

# The -cpu strings: the model and its non-hv properties, plus the hv set.
IFS=, read -r -a cpu_parts <<< "$DEMO_CPU"
cpu_base=${cpu_parts[0]}
cpu_hv=()
for p in "${cpu_parts[@]:1}"; do
    case "$p" in
    hv-*) cpu_hv+=("$p") ;;
    *) cpu_base+=",$p" ;;
    esac
done
if [ ${#cpu_hv[@]} -eq 0 ]; then
    IFS=, read -r -a cpu_hv <<< "${DEMO_HV:-$DEFAULT_HV}"
fi
cpu_with_hv=$cpu_base$(printf ',%s' "${cpu_hv[@]}")
cpu_without_hv=$cpu_base

for v in DEMO_SMP DEMO_MEM DEMO_TIMEOUT DEMO_BALLOON; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "$v=${!v} is not a number"
done
[ "$DEMO_SMP" -ge 1 ] || die "DEMO_SMP must be at least 1"
if [ -n "$DEMO_KERNEL_IMAGE" ]; then
    [ -f "$DEMO_KERNEL_IMAGE" ] || die "DEMO_KERNEL_IMAGE=$DEMO_KERNEL_IMAGE: no such file"
    [ -z "$DEMO_INITRD" ] || [ -f "$DEMO_INITRD" ] || die "DEMO_INITRD=$DEMO_INITRD: no such file"
elif [ -n "$DEMO_INITRD" ]; then
    die "DEMO_INITRD needs DEMO_KERNEL_IMAGE (an initrd without its kernel)"
fi
[ -z "$DEMO_DISK" ] || [ -f "$DEMO_DISK" ] || die "DEMO_DISK=$DEMO_DISK: no such file"

demo="$BUILD_DIR/demo"
mkdir -p "$demo"
t_all=$SECONDS
timings=()
phase() { phase_name=$1; phase_t0=$SECONDS; echo; echo "== $1"; }
phase_done() { timings+=("$(printf '%-52s %4ds' "${phase_name:0:52}" $((SECONDS - phase_t0)))"); }

# 1. QEMU (and what the guest build needs: cpio, depmod).
phase "build QEMU (scripts/build-qemu.sh)"
export EXTRA_PKGS="${EXTRA_PKGS:+$EXTRA_PKGS }cpio kmod"
if [ -n "$DEMO_QEMU" ]; then
    [ -x "$DEMO_QEMU" ] || die "DEMO_QEMU=$DEMO_QEMU is not an executable"
    bash "$here/install-deps.sh"
    qemu=$DEMO_QEMU
    echo ">> using DEMO_QEMU=$qemu"
else
    bash "$here/build-qemu.sh" | tee "$demo/build-qemu.out" ||
        die "building QEMU failed (see above)"
    qemu=$(tail -n 1 "$demo/build-qemu.out")
    [ -x "$qemu" ] || die "scripts/build-qemu.sh did not produce qemu-system-x86_64"
fi
bdir="$BUILD_DIR/qemu-build"
phase_done

# Which of the Hyper-V devices this QEMU has.
devices=$("$qemu" -device help 2>&1) || die "$qemu -device help failed: $devices"
has_device() { grep -q "name \"$1\"" <<< "$devices"; }
vmbus=() balloon_why=
if has_device vmbus-bridge; then
    vmbus=(-device vmbus-bridge)
    if [ "$DEMO_BALLOON" = 0 ]; then
        balloon_why="not requested (DEMO_BALLOON=0)"
    elif has_device hv-balloon; then
        vmbus+=(-device hv-balloon,id=balloon0)
    else
        balloon_why="this QEMU has no hv-balloon device (configure it with --enable-hv-balloon)"
    fi
else
    balloon_why="this QEMU has no vmbus-bridge device (CONFIG_VMBUS)"
fi

# 2. The guest.
phase "guest"
probe=1
boot=()
append="console=ttyS0 panic=-1"
if [ -n "$DEMO_KERNEL_IMAGE" ]; then
    probe=0
    echo ">> your kernel: $DEMO_KERNEL_IMAGE${DEMO_INITRD:+, initrd $DEMO_INITRD}"
    boot=(-kernel "$DEMO_KERNEL_IMAGE")
    [ -z "$DEMO_INITRD" ] || boot+=(-initrd "$DEMO_INITRD")
    guest_desc="your kernel $DEMO_KERNEL_IMAGE${DEMO_INITRD:+ + $DEMO_INITRD}"
elif [ -z "$DEMO_DISK" ]; then
    bash "$here/demo-guest.sh" "$demo/guest.env" || die "building the demo guest failed"
    source "$demo/guest.env"
    boot=(-kernel "$DEMO_GUEST_KERNEL" -initrd "$DEMO_GUEST_INITRD")
    append+=" demo.crash=1"
    guest_desc="Debian $DEMO_GUEST_PKG ($DEMO_GUEST_KVER) + busybox initramfs (scripts/demo-init.sh)"
fi
if [ -n "$DEMO_DISK" ]; then
    probe=0
    fmt=
    case "$DEMO_DISK" in *.qcow2) fmt=,format=qcow2 ;; *.raw|*.img) fmt=,format=raw ;; esac
    boot+=(-drive "file=$DEMO_DISK,if=none,id=disk0,snapshot=on$fmt" -device ide-hd,drive=disk0,bus=ide.0)
    guest_desc="${guest_desc:+$guest_desc, }your disk $DEMO_DISK (snapshot=on)"
    echo ">> your disk: $DEMO_DISK (snapshot=on: writes are discarded)"
fi
append+="${DEMO_APPEND:+ $DEMO_APPEND}"
phase_done

# 3. The two boots.
# No ACPI S4: Linux's hv_balloon ignores balloon requests ("Ignore
# balloon-up request!") in a VM that can hibernate.
common=(-accel tcg -machine q35 -smp "$DEMO_SMP" -m "$DEMO_MEM" -nodefaults -display none
        -global ICH9-LPC.disable_s4=1
        -no-reboot -L "$bdir/pc-bios" -L /usr/share/seabios "${boot[@]}")
trace=(-d guest_errors,unimp -trace vmbus_initiate_contact -trace vmbus_open_channel
       -trace vmbus_channel_open -trace 'hv_balloon_state_change'
       -trace 'hv_balloon_incoming_version' -trace 'hv_balloon_outgoing_balloon'
       -trace 'hv_balloon_incoming_balloon')
run_args=(--timeout "$DEMO_TIMEOUT")
[ $probe = 1 ] || run_args+=(--observe)
rm -rf "$demo"/run-bisect-* "$demo"/bisect-*.out
boot_guest() {  # label cpu append; uses the arrays run_extra and qemu_extra
    local label=$1 cpu=$2 app=$3
    local out="$demo/run-$label"
    rm -rf "$out"
    mkdir -p "$out"
    local kargs=()
    [ ${#boot[@]} -gt 0 ] && [ "${boot[0]}" = -kernel ] && kargs=(-append "$app")
    /usr/bin/python3 "$here/demo-run.py" --out "$out" --label "$label" "${run_args[@]}" "${run_extra[@]}" -- \
        "$qemu" "${common[@]}" -cpu "$cpu" "${kargs[@]}" "${qemu_extra[@]}" -D "$out/qemu-debug.log" "${trace[@]}" ||
        die "could not run QEMU for the $label boot (see $out)"
}

phase "boot with hv-* (TCG, $DEMO_SMP vCPUs, timeout ${DEMO_TIMEOUT}s)"
echo ">> -cpu $cpu_with_hv ${vmbus[*]}"
app_hv="$append" run_extra=() qemu_extra=("${vmbus[@]}")
if [ $probe = 1 ] && [ -z "$balloon_why" ]; then
    run_extra=(--balloon-mib "$DEMO_BALLOON")
    app_hv+=" demo.balloon=1"
fi
# A guest process touches and frees DEMO_MEMHINT MiB; with hv-ext-hypercalls
# and hv_balloon the freed memory goes back to the host (cold discard).
if [ $probe = 1 ] && [ "${DEMO_MEMHINT:-256}" != 0 ] && [ ${#vmbus[@]} -gt 0 ]; then
    app_hv+=" demo.memhint=${DEMO_MEMHINT:-256}"
fi
boot_guest hv "$cpu_with_hv" "$app_hv"
phase_done
if [ "$DEMO_NOHV" != 0 ]; then
    phase "boot without hv-*"
    echo ">> -cpu $cpu_without_hv"
    run_extra=() qemu_extra=()
    boot_guest nohv "$cpu_without_hv" "$append"
    phase_done
fi

# 4. The report.
phase "report"
report_args=(--hv "$demo/run-hv" --cpu "$cpu_with_hv" --nohv-cpu "$cpu_without_hv"
             --guest "$guest_desc" --balloon "${balloon_why:-on}")
[ "$DEMO_NOHV" != 0 ] && report_args+=(--nohv "$demo/run-nohv")
[ $probe = 1 ] && report_args+=(--probe)
[ -n "$DEMO_TAP" ] && report_args+=(--tap "$DEMO_TAP")
set +e
/usr/bin/python3 "$here/demo-report.py" "${report_args[@]}" > "$demo/report.txt"
rc=$?
set -e
[ $rc = 0 ] || [ $rc = 3 ] || die "scripts/demo-report.py failed (status $rc)"
cat "$demo/report.txt"
phase_done
# 5. Optionally, which hv-* property the trouble follows: boot again without
# each one in turn (no balloon wait, a shorter timeout).
hv_verdict=$(/usr/bin/python3 "$here/demo-report.py" --verdict "$demo/run-hv")
if [ "${DEMO_BISECT:-0}" != 0 ] && [ $probe = 1 ] && [ "$hv_verdict" != ok ]; then
    phase "bisect: the hv-* boot failed ($hv_verdict); booting without each hv-* property"
    run_args=(--timeout "${DEMO_BISECT_TIMEOUT:-180}") run_extra=() qemu_extra=("${vmbus[@]}")
    bisect=()
    for drop in "${cpu_hv[@]}"; do
        cpu=$cpu_base
        for p in "${cpu_hv[@]}"; do [ "$p" = "$drop" ] || cpu+=",$p"; done
        name=${drop%%=*}
        ( boot_guest "bisect-$name" "$cpu" "$append" ) > "$demo/bisect-$name.out" 2>&1 || true
        v=$(/usr/bin/python3 "$here/demo-report.py" --verdict "$demo/run-bisect-$name")
        refused=$(grep -m1 -o 'qemu-system-x86_64: .*' "$demo/run-bisect-$name/qemu-stderr.log" 2> /dev/null || true)
        if [ "$v" = ok ]; then
            line="without $drop: OK"
        elif [ -n "$refused" ] && ! grep -q 'Linux version' "$demo/run-bisect-$name/serial.log" 2> /dev/null; then
            line="without $drop: QEMU refused (${refused#qemu-system-x86_64: })"
        else
            line="without $drop: still failing ($v)"
        fi
        echo "   $line"
        bisect+=("$line")
    done
    phase_done
    {
        echo "Bisect (one boot each; a race may pass by luck):"
        printf '  %s\n' "${bisect[@]}"
    } | tee -a "$demo/report.txt"
fi

echo "Time taken:"
for t in "${timings[@]}"; do echo "  $t"; done
printf '  %-52s %4ds\n' total $((SECONDS - t_all))
logs="$demo/run-hv"
[ "$DEMO_NOHV" = 0 ] || logs+=" and $demo/run-nohv"
echo "(report saved to $demo/report.txt; logs in $logs)"
if [ $rc = 3 ]; then
    echo "make demo: the report lists problems in the Hyper-V path (see PROBLEMS above)" >&2
    exit 1
fi
