# SPDX-License-Identifier: GPL-2.0-or-later
#
# qemu-hyperv: Hyper-V enlightenments for QEMU 10.0.x, KVM and TCG.
#
#   make            build qemu-system-x86_64 with the patch series + module
#   make demo       build, then boot a Debian kernel under TCG with hv-* on
#                   and again without, and report what the guest detected
#                   and used (DEMO_* settings: see README.md)
#   make check      unit tests + qtests; last line "N passed, N failed"
#   make checkpatch QEMU's checkpatch.pl over patches/ and the module
#   make stress     the long SMP stress qtest (HV_STRESS_SECONDS, default 30)
#   make fuzz       libFuzzer (clang-14, ASan + UBSan) over the Hyper-V
#                   core for FUZZ_SECONDS (default 60) from the seed corpus
#                   in tests-fuzz/corpus; prints execs, coverage, crashes
#   make debian-series  build/debian-series/: the series as quilt patches for
#                   Debian's qemu 10.0 source package (docs/packaging.md)
#   make debian-build-check  apply it to Debian's source package and build
#                   x86_64-softmmu from that tree (slow; not part of check)
#   make install    qemu-system-x86_64, its data directory (firmware, keymaps)
#                   and the docs under $(DESTDIR)$(PREFIX), PREFIX=/usr/local
#   make uninstall  remove what make install installed there
#   make check-libvirt  Debian 12's libvirt (its own libvirtd, state under
#                   build/libvirt) boots the demo guest in TCG domains with
#                   <hyperv> variants and checks what the guest saw
#   make check-kvm  make check's KVM differential against stock QEMU on this
#                   machine's own /dev/kvm (docs/kvm-differential.md)
#   make clean      remove build outputs (keeps the downloaded QEMU source)
#   make distclean  remove build/ entirely
#
# QEMU_SRC=<dir> builds an existing QEMU 10.0.x tree instead of Debian's
# source package.  Everything that is needed is installed on first use
# (as root, from the machine's Debian sources + bookworm-backports).

BUILD_DIR ?= $(CURDIR)/build
export BUILD_DIR QEMU_SRC

.PHONY: all build demo bench check checkpatch fuzz clean distclean debian-series debian-build-check stress
.PHONY: install uninstall check-libvirt
.PHONY: check-kvm

all: build

build:
	@bash scripts/build-qemu.sh

demo:
	@bash scripts/demo.sh

bench:
	@bash scripts/bench.sh

check:
	@bash scripts/run-checks.sh

stress:
	@bash scripts/stress.sh

PREFIX ?= /usr/local
install: build
	@PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" bash scripts/install.sh install

uninstall:
	@PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" bash scripts/install.sh uninstall

check-libvirt:
	@bash scripts/check-libvirt.sh

# The KVM differential of make check on this machine's /dev/kvm (skipped,
# saying why, without one that has KVM_CAP_HYPERV): docs/kvm-differential.md
check-kvm: build
	@bash scripts/check-kvm-diff.sh --real

checkpatch: build
	@bash scripts/checkpatch.sh

FUZZ_SECONDS ?= 60
fuzz:
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests-fuzz/run-fuzz.sh

debian-series:
	@bash scripts/debian-series.sh generate

debian-build-check: build
	@bash scripts/debian-series.sh build-check

clean:
	rm -rf $(BUILD_DIR)/qemu-build $(BUILD_DIR)/unit $(BUILD_DIR)/qemu
	rm -rf $(BUILD_DIR)/stock $(BUILD_DIR)/kvm

distclean:
	rm -rf $(BUILD_DIR)

# The feature table in docs/ is generated from the model's own table.
$(BUILD_DIR)/gen-feature-table: scripts/gen-feature-table.c target-i386-hyperv/hv-feature.c target-i386-hyperv/hv-model.h target-i386-hyperv/hyperv-proto.h
	@mkdir -p $(BUILD_DIR)
	gcc -std=gnu11 -Wall -Wextra -Werror -Itarget-i386-hyperv -o $@ scripts/gen-feature-table.c target-i386-hyperv/hv-feature.c

docs/feature-table.md: $(BUILD_DIR)/gen-feature-table
	$< > $@
