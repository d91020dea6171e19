// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for dm-vio's table parser: every line is split into words as
 * dm would, parsed, and checked against the expected result or the exact
 * start of the expected error.
 */
#include <kunit/test.h>
#include <linux/string.h>

#include "compat.h"
#include "vio_test.h"
#include "table.h"

#define MAX_WORDS	(2 * DM_VIO_MAX_ARRAYS + 16)

#define DIGITS10	"1234567890"
#define NAME63		DIGITS10 DIGITS10 DIGITS10 DIGITS10 DIGITS10 DIGITS10 "123"
#define BOTH_FEATURES	(VIO_F_IGNORE_DISCARD | VIO_F_TAG)

struct table_case {
	const char *line;
	const char *error;	/* expected message prefix; NULL: valid */
	/* For valid lines: */
	enum vio_layout layout;
	u32 chunk;
	unsigned int nr_arrays;
	unsigned long features;
	const char *tag;	/* VIO_F_TAG */
};

static const struct table_case table_cases[] = {
	/* Valid lines. */
	{ "linear 0 1 /dev/a 0", NULL, VIO_LAYOUT_LINEAR, 0, 1, 0 },
	{ "linear 0 2 /dev/a 0 /dev/b 2048", NULL, VIO_LAYOUT_LINEAR, 0, 2, 0 },
	{ "stripe 1 128 3 a 0 b 8 c 16", NULL, VIO_LAYOUT_STRIPE, 128, 3, 0 },
	{ "stripe 1 1 1 253:0 0", NULL, VIO_LAYOUT_STRIPE, 1, 1, 0 },
	{ "stripe 1 2147483648 1 a 0", NULL, VIO_LAYOUT_STRIPE, 1U << 31, 1, 0 },
	{ "linear 0 1 a 0 0", NULL, VIO_LAYOUT_LINEAR, 0, 1, 0 },
	{ "linear 0 1 a 0 1 ignore_discard", NULL, VIO_LAYOUT_LINEAR, 0, 1,
	  VIO_F_IGNORE_DISCARD },
	{ "linear 0 1 a 18446744073709551615", NULL, VIO_LAYOUT_LINEAR, 0, 1, 0 },

	/* Layout. */
	{ "", "Missing layout" },
	{ "raid5 0 1 a 0", "Unknown layout 'raid5'" },
	{ "LINEAR 0 1 a 0", "Unknown layout 'LINEAR'" },
	{ "linear", "Missing number of layout arguments" },
	{ "linear x 1 a 0", "Invalid number of layout arguments 'x'" },
	{ "linear -1 1 a 0", "Invalid number of layout arguments '-1'" },
	{ "linear 1 64 1 a 0", "Layout linear takes no arguments, got 1" },
	{ "stripe 0 2 a 0 b 0", "Layout stripe takes 1 argument" },
	{ "stripe 2 64 64 2 a 0 b 0", "Invalid number of layout arguments '2'" },
	{ "stripe 1", "Missing stripe chunk size" },
	{ "stripe 1 0 2 a 0 b 0", "Invalid stripe chunk size '0'" },
	{ "stripe 1 -8 2 a 0 b 0", "Invalid stripe chunk size '-8'" },
	{ "stripe 1 4294967296 1 a 0", "Invalid stripe chunk size '4294967296'" },
	{ "stripe 1 8k 1 a 0", "Invalid stripe chunk size '8k'" },
	{ "stripe 1 100 2 a 0 b 0", "Stripe chunk size 100 is not a power of two" },
	{ "stripe 1 3 1 a 0", "Stripe chunk size 3 is not a power of two" },

	/* Arrays. */
	{ "linear 0", "Missing number of arrays" },
	{ "linear 0 0", "Invalid number of arrays '0' (expected 1 to 32)" },
	{ "linear 0 33 a 0", "Invalid number of arrays '33' (expected 1 to 32)" },
	{ "linear 0 +1 a 0", "Invalid number of arrays '+1'" },
	{ "linear 0 99999999999 a 0", "Invalid number of arrays '99999999999'" },
	{ "linear 0 2 a 0", "Expected 2 arrays (<dev> <offset> pairs), got 2 words" },
	{ "linear 0 1 a", "Expected 1 arrays (<dev> <offset> pairs), got 1 words" },
	{ "linear 0 1 a x", "Array 0 (a): invalid offset 'x'" },
	{ "linear 0 2 a 0 b -1", "Array 1 (b): invalid offset '-1'" },
	{ "linear 0 1 a 18446744073709551616",
	  "Array 0 (a): invalid offset '18446744073709551616'" },
	{ "linear 0 1 a 0x10", "Array 0 (a): invalid offset '0x10'" },
	{ "linear 0 1 a 1.5", "Array 0 (a): invalid offset '1.5'" },

	/* Features. */
	{ "linear 0 1 a 0 junk", "Invalid number of feature arguments 'junk'" },
	{ "linear 0 1 a 0 9 a b c d e f g h i", "Invalid number of feature arguments '9'" },
	{ "linear 0 1 a 0 2 ignore_discard", "Expected 2 feature arguments, got 1" },
	{ "linear 0 1 a 0 1 frobnicate", "Unknown feature 'frobnicate'" },
	{ "linear 0 1 a 0 2 ignore_discard ignore_discard",
	  "Feature 'ignore_discard' given twice" },
	{ "linear 0 1 a 0 1 ignore_discard extra",
	  "Unexpected argument 'extra' after the feature group" },
	{ "linear 0 1 a 0 0 extra", "Unexpected argument 'extra' after the feature group" },

	/* The tag feature. */
	{ "linear 0 1 a 0 2 tag vm1", NULL, VIO_LAYOUT_LINEAR, 0, 1, VIO_F_TAG, "vm1" },
	{ "stripe 1 8 2 a 0 b 0 2 tag web-front.1", NULL, VIO_LAYOUT_STRIPE, 8, 2, VIO_F_TAG,
	  "web-front.1" },
	{ "linear 0 1 a 0 3 ignore_discard tag vm1", NULL, VIO_LAYOUT_LINEAR, 0, 1,
	  BOTH_FEATURES, "vm1" },
	{ "linear 0 1 a 0 3 tag vm1 ignore_discard", NULL, VIO_LAYOUT_LINEAR, 0, 1,
	  BOTH_FEATURES, "vm1" },
	{ "linear 0 1 a 0 2 tag " NAME63, NULL, VIO_LAYOUT_LINEAR, 0, 1, VIO_F_TAG, NAME63 },
	{ "linear 0 1 a 0 2 tag x", NULL, VIO_LAYOUT_LINEAR, 0, 1, VIO_F_TAG, "x" },
	/* The word after "tag" is its name, whatever it is. */
	{ "linear 0 1 a 0 2 tag ignore_discard", NULL, VIO_LAYOUT_LINEAR, 0, 1, VIO_F_TAG,
	  "ignore_discard" },
	{ "linear 0 1 a 0 2 tag tag", NULL, VIO_LAYOUT_LINEAR, 0, 1, VIO_F_TAG, "tag" },
	{ "linear 0 1 a 0 1 tag", "Feature 'tag' needs a name: tag <name>" },
	{ "linear 0 1 a 0 1 tag vm1", "Feature 'tag' needs a name: tag <name>" },
	{ "linear 0 1 a 0 2 ignore_discard tag", "Feature 'tag' needs a name: tag <name>" },
	{ "linear 0 1 a 0 3 tag vm1 tag", "Feature 'tag' needs a name: tag <name>" },
	{ "linear 0 1 a 0 2 tag", "Expected 2 feature arguments, got 1" },
	{ "linear 0 1 a 0 4 tag vm1 tag vm2", "Feature 'tag' given twice" },
	{ "linear 0 1 a 0 4 tag vm1 tag vm1", "Feature 'tag' given twice" },
	{ "linear 0 1 a 0 5 tag vm1 ignore_discard tag vm2", "Feature 'tag' given twice" },
	{ "linear 0 1 a 0 4 ignore_discard tag vm1 ignore_discard",
	  "Feature 'ignore_discard' given twice" },
	{ "linear 0 1 a 0 2 tag " NAME63 "4",
	  "Tag '" DIGITS10 DIGITS10 DIGITS10 DIGITS10 "' must be 1 to 63 characters" },
	{ "linear 0 1 a 0 2 tag a\tb", "Tag 'a\tb' has a non-printable character" },
	{ "linear 0 1 a 0 2 tag vm1 extra", "Unexpected argument 'extra' after the feature group" },
	{ "linear 0 1 a 0 1 Tag", "Unknown feature 'Tag'" },
};

static void table_case_desc(const struct table_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "\"%s\"", c->line);
}

KUNIT_ARRAY_PARAM(table, table_cases, table_case_desc);

static void vio_parse_table_test(struct kunit *test)
{
	const struct table_case *c = test->param_value;
	struct vio_table_args *args;
	char *argv[MAX_WORDS];
	struct vio_err err = {};
	unsigned int argc;
	int r;

	args = kunit_kzalloc(test, sizeof(*args), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, args);
	argc = vio_split_words(test, c->line, argv, MAX_WORDS);
	r = vio_parse_table(argc, argv, args, &err);

	vio_expect_result(test, r, &err, c->error);
	if (c->error)
		return;
	KUNIT_EXPECT_EQ(test, args->layout, c->layout);
	KUNIT_EXPECT_EQ(test, args->chunk_sectors, c->chunk);
	KUNIT_EXPECT_EQ(test, args->nr_arrays, c->nr_arrays);
	KUNIT_EXPECT_EQ(test, args->features, c->features);
	KUNIT_EXPECT_STREQ(test, args->tag, c->tag ?: "");
}

/* Device paths and offsets land in table order. */
static void vio_parse_table_arrays_test(struct kunit *test)
{
	char *argv[MAX_WORDS];
	struct vio_table_args *args;
	struct vio_err err = {};
	unsigned int argc;

	args = kunit_kzalloc(test, sizeof(*args), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, args);
	argc = vio_split_words(test, "stripe 1 64 3 /dev/x 0 8:16 2048 /dev/z 18446744073709551615",
			       argv, MAX_WORDS);
	KUNIT_ASSERT_EQ(test, vio_parse_table(argc, argv, args, &err), 0);
	KUNIT_EXPECT_STREQ(test, args->arrays[0].path, "/dev/x");
	KUNIT_EXPECT_STREQ(test, args->arrays[1].path, "8:16");
	KUNIT_EXPECT_STREQ(test, args->arrays[2].path, "/dev/z");
	KUNIT_EXPECT_EQ(test, args->arrays[0].offset, 0);
	KUNIT_EXPECT_EQ(test, args->arrays[1].offset, 2048);
	KUNIT_EXPECT_EQ(test, args->arrays[2].offset, (sector_t)U64_MAX);
}

/* The largest table: DM_VIO_MAX_ARRAYS arrays. */
static void vio_parse_table_max_arrays_test(struct kunit *test)
{
	struct vio_table_args *args;
	struct vio_err err = {};
	char *argv[MAX_WORDS];
	unsigned int i, argc = 0;

	args = kunit_kzalloc(test, sizeof(*args), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, args);
	argv[argc++] = "linear";
	argv[argc++] = "0";
	argv[argc++] = "32";
	for (i = 0; i < DM_VIO_MAX_ARRAYS; i++) {
		char *path = kunit_kzalloc(test, 16, GFP_KERNEL);
		char *offset = kunit_kzalloc(test, 16, GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, path);
		KUNIT_ASSERT_NOT_NULL(test, offset);
		snprintf(path, 16, "/dev/d%u", i);
		snprintf(offset, 16, "%u", i * 8);
		argv[argc++] = path;
		argv[argc++] = offset;
	}
	KUNIT_ASSERT_EQ(test, vio_parse_table(argc, argv, args, &err), 0);
	KUNIT_EXPECT_EQ(test, args->nr_arrays, DM_VIO_MAX_ARRAYS);
	KUNIT_EXPECT_STREQ(test, args->arrays[31].path, "/dev/d31");
	KUNIT_EXPECT_EQ(test, args->arrays[31].offset, 31 * 8);
}

static struct kunit_case vio_table_test_cases[] = {
	KUNIT_CASE_PARAM(vio_parse_table_test, table_gen_params),
	KUNIT_CASE(vio_parse_table_arrays_test),
	KUNIT_CASE(vio_parse_table_max_arrays_test),
	{}
};

static struct kunit_suite vio_table_test_suite = {
	.name = "dm_vio_table",
	.test_cases = vio_table_test_cases,
};

kunit_test_suite(vio_table_test_suite);

