# SPDX-License-Identifier: GPL-2.0-only
#
# dm-vio: out-of-tree build wrapper (see Documentation/kbuild/modules.rst).
#
#   make                 build dm-vio/dm-vio.ko for KDIR
#   make install         install the module (modules_install + depmod) and dmvio
#   make tools           build the dmvio command-line tool (tools/dmvio)
#   make demo            install what is missing, build, show dm-vio in a VM
#   make check           build + static checks + KUnit + VM integration tests
#                        + the integration tests on a debug kernel
#   make debugtest       integration tests in UML with KASAN, lockdep, ...
#
# KDIR defaults to the running kernel's build tree, or, where there is
# none, to the newest installed Debian 6.12 headers.

SHELL := /bin/bash

# The Debian 6.12 kernel the test VM boots, and its headers.
DEB612_KDIR = $(shell ls -d /usr/src/linux-headers-6.12.*+deb12-amd64 2>/dev/null | sort -V | tail -n 1)

KDIR ?= $(or $(wildcard /lib/modules/$(shell uname -r)/build),$(DEB612_KDIR))
KREL = $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)

.PHONY: all modules clean install deps static kunit vmtest debugtest check demo bench bench-qos bench-mirror help

all: modules

modules:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || { echo "make: no kernel build tree; run 'make deps' or pass KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) CONFIG_DM_VIO=m modules

clean:
	@if [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -f dm-vio/*.o dm-vio/*.ko dm-vio/*.mod* dm-vio/.*.cmd
	$(MAKE) -C tools/dmvio clean

# INSTALL_MOD_PATH (as for the kernel) installs into a staging root;
# dmvio goes to $(DESTDIR)/usr/local/sbin, its man page to share/man/man8.
install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) CONFIG_DM_VIO=m modules_install
	depmod -a $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KREL)
	$(MAKE) -C tools/dmvio install

# The dmvio command-line tool (libdevmapper, libsmartcols).
.PHONY: tools
tools:
	$(MAKE) -C tools/dmvio

deps:
	bash tools/install-deps.sh

# checkpatch, and W=1 + sparse builds against Debian 6.12 and 6.1 headers.
static:
	$(MAKE) tools
	bash tools/check-static.sh

# KUnit suites in UML on linux-source-6.12 (build cached outside the repo).
kunit:
	bash kunit/run.sh

# Integration tests: the module built for Debian 6.12, loaded in a VM.
vmtest:
	$(MAKE) modules KDIR=$(DEB612_KDIR)
	$(MAKE) tools
	KDIR=$(DEB612_KDIR) bash tools/testing/vio/vmtest.sh

# The same tests in UML built from linux-source-6.12 with KASAN, UBSAN,
# lockdep, DEBUG_OBJECTS and kmemleak, the module built against it (both
# in the cache beside KUnit's); fails on any report from them.
debugtest:
	$(MAKE) tools
	bash tools/testing/uml/uml-run.sh

check: deps
	$(MAKE) modules
	$(MAKE) static
	$(MAKE) kunit
	$(MAKE) vmtest
	$(MAKE) debugtest

demo: deps
	$(MAKE) modules KDIR=$(DEB612_KDIR)
	KDIR=$(DEB612_KDIR) tools/testing/vm/vm-run.sh -- bash tools/demo/demo.sh

# dm-vio against dm-linear and the raw device, then the QoS, the mirror
# and the fabric benchmarks; one VM boot each (see tools/bench/README.md).
bench: deps
	$(MAKE) modules KDIR=$(DEB612_KDIR)
	KDIR=$(DEB612_KDIR) VIO_VM_TCG=$${VIO_VM_TCG:-icount} tools/testing/vm/vm-run.sh -m 3072 -- bash tools/bench/linear-overhead.sh
	$(MAKE) bench-qos
	$(MAKE) bench-mirror
	$(MAKE) bench-fabric

# QoS classes: limits (beside io.max), weights, reservation, burst.
bench-qos: deps
	$(MAKE) modules KDIR=$(DEB612_KDIR)
	KDIR=$(DEB612_KDIR) tools/testing/vm/vm-run.sh -m 3072 -- bash tools/bench/qos.sh

# Mirrors: dm-vio against md raid1, dm-raid1 and dm-raid (write IOPS),
# and its read selectors against them with one slow leg (read p99).
bench-mirror: deps
	$(MAKE) modules KDIR=$(DEB612_KDIR)
	KDIR=$(DEB612_KDIR) VIO_VM_TCG=$${VIO_VM_TCG:-icount} tools/testing/vm/vm-run.sh -m 3072 -- bash tools/bench/mirror.sh

# Fabric: measured throughput against the link model per port spec, I/O
# size and direction; the fabric's cost while off, against dm-linear.
.PHONY: bench-fabric
bench-fabric: deps
	$(MAKE) modules KDIR=$(DEB612_KDIR)
	KDIR=$(DEB612_KDIR) VIO_VM_TCG=$${VIO_VM_TCG:-icount} tools/testing/vm/vm-run.sh -m 3072 -- bash tools/bench/fabric.sh

help:
	@sed -n '3,15p' Makefile
