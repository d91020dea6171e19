// SPDX-License-Identifier: GPL-2.0-only
/*
 * The dm-vio KUnit suites build into one module, dm-vio-test; this is its
 * module information. The suites reach dm-vio's internals through
 * EXPORT_SYMBOL_IF_KUNIT.
 */
#include <linux/module.h>

#include "compat.h"

MODULE_DESCRIPTION("KUnit tests for the dm-vio device-mapper target");
MODULE_LICENSE("GPL");
VIO_IMPORT_KUNIT_NS();
