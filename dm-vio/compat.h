/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-vio: the one place where differences between supported kernels live.
 *
 * The sources are written against the newest kernel API; each entry here
 * names the upstream change it papers over, so it can be dropped when the
 * oldest supported kernel has that change. Supported: Linux 6.1 and 6.12.
 */
#ifndef DM_VIO_COMPAT_H
#define DM_VIO_COMPAT_H

#include <kunit/visibility.h>

/*
 * Linux 6.13 ("module: Convert symbol namespace to string literal") made
 * MODULE_IMPORT_NS() take a string where it took a bare identifier. The
 * modinfo tag it emits is the same string on every kernel, so spell that
 * out instead of asking which macro form this kernel has.
 */
#define VIO_IMPORT_KUNIT_NS()	MODULE_INFO(import_ns, "EXPORTED_FOR_KUNIT_TESTING")

#endif /* DM_VIO_COMPAT_H */
