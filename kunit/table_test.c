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
#include "selector.h"
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
	{ "linear 0 1 a 0 43 a b c d e f g h i", "Invalid number of feature arguments '43'" },
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
	{ "linear 0 1 a 0 2 tag a\tb", "Tag 'a\tb' is not printable ASCII" },
	{ "linear 0 1 a 0 2 tag caf\xc3\xa9", "Tag 'caf\xc3\xa9' is not printable ASCII" },
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
	/* The mirror's settings stay clear for the other layouts. */
	KUNIT_EXPECT_EQ(test, args->region_sectors, 0);
	KUNIT_EXPECT_EQ(test, args->nr_weights, 0);
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

/* ---- The mirror layout ---- */

#define RR		VIO_SEL_ROUND_ROBIN
#define LO		VIO_SEL_LEAST_OUTSTANDING
#define ST		VIO_SEL_SERVICE_TIME
#define LEGS2		"2 a 0 b 0"
#define LEGS8		"8 a 0 b 0 c 0 d 0 e 0 f 0 g 0 h 0"
#define W10		"1,1,1,1,1,"
#define REGION_RANGE	"(sectors, a power of two from 8 to 4194304)"
#define SELECTORS	"(expected round-robin, least-outstanding or service-time)"
#define MIRROR_KEYS	"(expected region_size, selector or weights)"
#define WEIGHT_RANGE	"is not 1 to 1000"
#define MIRROR_ONLY	"Feature 'nosync' applies to the mirror layout only"

struct mirror_case {
	const char *line;
	const char *error;	/* the exact message; NULL: valid */
	/* For valid lines: */
	u32 region;
	unsigned int selector;
	unsigned int nr_arrays;
	unsigned int nr_weights;
	u32 weights[DM_VIO_MIRROR_MAX_LEGS];	/* 0 means 1, the default */
	unsigned long features;
};

static const struct mirror_case mirror_cases[] = {
	/* Defaults, and every key. */
	{ "mirror 0 " LEGS2, NULL, 2048, ST, 2 },
	{ "mirror 0 3 /dev/a 0 8:16 2048 c 7", NULL, 2048, ST, 3 },
	{ "mirror 0 " LEGS8, NULL, 2048, ST, 8 },
	{ "mirror 2 region_size 8 " LEGS2, NULL, 8, ST, 2 },
	{ "mirror 2 region_size 1024 " LEGS2, NULL, 1024, ST, 2 },
	{ "mirror 2 region_size 4194304 " LEGS2, NULL, 4194304, ST, 2 },
	{ "mirror 2 selector round-robin " LEGS2, NULL, 2048, RR, 2 },
	{ "mirror 2 selector least-outstanding " LEGS2, NULL, 2048, LO, 2 },
	{ "mirror 2 selector service-time " LEGS2, NULL, 2048, ST, 2 },
	{ "mirror 2 weights 2,1 " LEGS2, NULL, 2048, ST, 2, 2, { 2, 1 } },
	{ "mirror 2 weights 1000,1,500 3 a 0 b 0 c 0", NULL, 2048, ST, 3, 3, { 1000, 1, 500 } },
	{ "mirror 2 weights 1,2,3,4,5,6,7,8 " LEGS8, NULL, 2048, ST, 8, 8,
	  { 1, 2, 3, 4, 5, 6, 7, 8 } },
	{ "mirror 2 weights 007,1 " LEGS2, NULL, 2048, ST, 2, 2, { 7, 1 } },
	{ "mirror 6 weights 3,1 selector round-robin region_size 64 " LEGS2, NULL, 64, RR, 2, 2,
	  { 3, 1 } },
	{ "mirror 6 region_size 16 selector least-outstanding weights 1,1,9 3 a 0 b 0 c 0", NULL,
	  16, LO, 3, 3, { 1, 1, 9 } },
	{ "mirror 0 " LEGS2 " 0", NULL, 2048, ST, 2 },
	{ "mirror 0 " LEGS2 " 1 nosync", NULL, 2048, ST, 2, 0, {}, VIO_F_NOSYNC },
	{ "mirror 0 " LEGS2 " 4 nosync ignore_discard tag vm1", NULL, 2048, ST, 2, 0, {},
	  VIO_F_NOSYNC | VIO_F_IGNORE_DISCARD | VIO_F_TAG },
	{ "mirror 0 " LEGS2 " 2 tag nosync", NULL, 2048, ST, 2, 0, {}, VIO_F_TAG },

	/* The key-value pairs. */
	{ "mirror", "Missing number of layout arguments" },
	{ "mirror 7 " LEGS2, "Invalid number of layout arguments '7' (expected 0 to 6)" },
	{ "linear 2 region_size 16 1 a 0",
	  "Invalid number of layout arguments '2' (expected 0 to 1)" },
	{ "mirror 1 region_size " LEGS2,
	  "Mirror arguments come in <key> <value> pairs, got 1 words" },
	{ "mirror 3 region_size 16 selector " LEGS2,
	  "Mirror arguments come in <key> <value> pairs, got 3 words" },
	{ "mirror 5 region_size 16 selector round-robin weights " LEGS2,
	  "Mirror arguments come in <key> <value> pairs, got 5 words" },
	{ "mirror 2 region_size", "Expected 2 mirror arguments, got 1" },
	{ "mirror 4 region_size 16 selector", "Expected 4 mirror arguments, got 3" },
	{ "mirror 2 chunk 8 " LEGS2, "Unknown mirror argument 'chunk' " MIRROR_KEYS },
	{ "mirror 2 Region_size 16 " LEGS2, "Unknown mirror argument 'Region_size' " MIRROR_KEYS },
	{ "mirror 2 nosync 1 " LEGS2, "Unknown mirror argument 'nosync' " MIRROR_KEYS },
	{ "mirror 4 region_size 16 frob 1 " LEGS2, "Unknown mirror argument 'frob' " MIRROR_KEYS },
	{ "mirror 4 region_size 16 region_size 32 " LEGS2,
	  "Mirror argument 'region_size' given twice" },
	{ "mirror 4 selector round-robin selector service-time " LEGS2,
	  "Mirror argument 'selector' given twice" },
	{ "mirror 4 weights 1,1 weights 1,1 " LEGS2, "Mirror argument 'weights' given twice" },
	{ "mirror 6 region_size 16 selector round-robin region_size 16 " LEGS2,
	  "Mirror argument 'region_size' given twice" },

	/* Region size: a power of two, 8 to 2^22 sectors. */
	{ "mirror 2 region_size 3000 " LEGS2, "Invalid region_size '3000' " REGION_RANGE },
	{ "mirror 2 region_size 2049 " LEGS2, "Invalid region_size '2049' " REGION_RANGE },
	{ "mirror 2 region_size 0 " LEGS2, "Invalid region_size '0' " REGION_RANGE },
	{ "mirror 2 region_size 4 " LEGS2, "Invalid region_size '4' " REGION_RANGE },
	{ "mirror 2 region_size 7 " LEGS2, "Invalid region_size '7' " REGION_RANGE },
	{ "mirror 2 region_size 8388608 " LEGS2, "Invalid region_size '8388608' " REGION_RANGE },
	{ "mirror 2 region_size 4294967296 " LEGS2,
	  "Invalid region_size '4294967296' " REGION_RANGE },
	{ "mirror 2 region_size 16k " LEGS2, "Invalid region_size '16k' " REGION_RANGE },
	{ "mirror 2 region_size -8 " LEGS2, "Invalid region_size '-8' " REGION_RANGE },
	{ "mirror 2 region_size 0x10 " LEGS2, "Invalid region_size '0x10' " REGION_RANGE },

	/* Selector. */
	{ "mirror 2 selector random " LEGS2, "Unknown selector 'random' " SELECTORS },
	{ "mirror 2 selector Round-Robin " LEGS2, "Unknown selector 'Round-Robin' " SELECTORS },
	{ "mirror 2 selector service_time " LEGS2, "Unknown selector 'service_time' " SELECTORS },

	/* Weights: 1 to 1000, one per leg. */
	{ "mirror 2 weights 0,1 " LEGS2, "Mirror weight '0' in '0,1' " WEIGHT_RANGE },
	{ "mirror 2 weights 1,1001 " LEGS2, "Mirror weight '1001' in '1,1001' " WEIGHT_RANGE },
	{ "mirror 2 weights 1,x " LEGS2, "Mirror weight 'x' in '1,x' " WEIGHT_RANGE },
	{ "mirror 2 weights +1,1 " LEGS2, "Mirror weight '+1' in '+1,1' " WEIGHT_RANGE },
	{ "mirror 2 weights 1.5,1 " LEGS2, "Mirror weight '1.5' in '1.5,1' " WEIGHT_RANGE },
	{ "mirror 2 weights 1,4294967297 " LEGS2,
	  "Mirror weight '4294967297' in '1,4294967297' " WEIGHT_RANGE },
	{ "mirror 2 weights 1,2, " LEGS2, "Mirror weight '' in '1,2,' " WEIGHT_RANGE },
	{ "mirror 2 weights ,1 " LEGS2, "Mirror weight '' in ',1' " WEIGHT_RANGE },
	{ "mirror 2 weights 1,,1 " LEGS2, "Mirror weight '' in '1,,1' " WEIGHT_RANGE },
	{ "mirror 2 weights 1,1,1,1,1,1,1,1,1 " LEGS8,
	  "Mirror weights '1,1,1,1,1,1,1,1,1': more than 8" },
	{ "mirror 2 weights " W10 W10 W10 W10 W10 W10 "1,1, " LEGS8,
	  "Mirror weights '" W10 W10 W10 W10 "' are too long" },
	{ "mirror 2 weights 5 " LEGS2, "Mirror weights: 1 given for 2 legs" },
	{ "mirror 2 weights 1,2 3 a 0 b 0 c 0", "Mirror weights: 2 given for 3 legs" },
	{ "mirror 2 weights 1,2,3 " LEGS2, "Mirror weights: 3 given for 2 legs" },
	{ "mirror 2 weights 1,2 3 a 0", "Mirror weights: 2 given for 3 legs" },

	/* Legs: 2 to 8. */
	{ "mirror 0", "Missing number of mirror legs" },
	{ "mirror 0 0", "Invalid number of mirror legs '0' (expected 2 to 8)" },
	{ "mirror 0 1 a 0", "Invalid number of mirror legs '1' (expected 2 to 8)" },
	{ "mirror 0 9 a 0 b 0 c 0 d 0 e 0 f 0 g 0 h 0 i 0",
	  "Invalid number of mirror legs '9' (expected 2 to 8)" },
	{ "mirror 0 32", "Invalid number of mirror legs '32' (expected 2 to 8)" },
	{ "mirror 0 3 a 0 b 0", "Expected 3 arrays (<dev> <offset> pairs), got 4 words" },
	{ "mirror 0 2 a 0 b x", "Array 1 (b): invalid offset 'x' (sectors)" },

	/* nosync: the mirror's, once. */
	{ "linear 0 1 a 0 1 nosync", MIRROR_ONLY },
	{ "stripe 1 8 2 a 0 b 0 1 nosync", MIRROR_ONLY },
	{ "linear 0 1 a 0 2 ignore_discard nosync", MIRROR_ONLY },
	{ "mirror 0 " LEGS2 " 2 nosync nosync", "Feature 'nosync' given twice" },
	{ "mirror 0 " LEGS2 " 3 nosync ignore_discard nosync", "Feature 'nosync' given twice" },
	{ "mirror 0 " LEGS2 " 1 NOSYNC", "Unknown feature 'NOSYNC'" },
	{ "mirror 0 " LEGS2 " 1 nosync extra",
	  "Unexpected argument 'extra' after the feature group" },
	{ "raid1 0 " LEGS2, "Unknown layout 'raid1' (expected linear, stripe or mirror)" },
};

static void mirror_case_desc(const struct mirror_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "\"%s\"", c->line);
}

KUNIT_ARRAY_PARAM(mirror, mirror_cases, mirror_case_desc);

/* Mirror lines: the exact message, or every setting, defaults included. */
static void vio_parse_table_mirror_test(struct kunit *test)
{
	const struct mirror_case *c = test->param_value;
	struct vio_table_args *args;
	char *argv[MAX_WORDS];
	struct vio_err err = {};
	unsigned int argc, i;
	int r;

	args = kunit_kzalloc(test, sizeof(*args), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, args);
	argc = vio_split_words(test, c->line, argv, MAX_WORDS);
	r = vio_parse_table(argc, argv, args, &err);

	vio_expect_result(test, r, &err, c->error);
	if (c->error) {
		KUNIT_EXPECT_STREQ(test, err.msg, c->error);
		return;
	}
	KUNIT_EXPECT_EQ(test, args->layout, VIO_LAYOUT_MIRROR);
	KUNIT_EXPECT_EQ(test, args->chunk_sectors, 0);
	KUNIT_EXPECT_EQ(test, args->region_sectors, c->region);
	KUNIT_EXPECT_EQ(test, args->selector, c->selector);
	KUNIT_EXPECT_EQ(test, args->nr_arrays, c->nr_arrays);
	KUNIT_EXPECT_EQ(test, args->nr_weights, c->nr_weights);
	for (i = 0; i < DM_VIO_MIRROR_MAX_LEGS; i++)
		KUNIT_EXPECT_EQ_MSG(test, args->weights[i], c->weights[i] ?: VIO_LEG_WEIGHT_DEFAULT,
				    "leg %u", i);
	KUNIT_EXPECT_EQ(test, args->features, c->features);
}

/* ---- The fabric ---- */

#define LINK_DEF	{ 3, 4, 256, 1000, 64 }
#define LEGS3		"3 a 0 b 0 c 0"
#define FAB		VIO_F_FABRIC
#define FAB_HOST	VIO_F_FABRIC_HOST
#define FAB_USAGE	"Feature 'fabric' needs <#specs> <upstream spec> <port spec>..."
#define NSPECS		"Feature 'fabric': invalid number of link specs "
#define UP_KEYS		"(expected gen, width, mps, lat_ns)"
#define PORT_KEYS	"(expected gen, width, mps, lat_ns or credits)"
#define UP_MAX		"mps=4096,gen=5,width=16,lat_ns=10000000"

struct fabric_case {
	const char *line;
	const char *error;	/* the exact message; NULL: valid */
	/* For valid lines: */
	unsigned int nr_arrays;
	unsigned long features;
	struct vio_link_params up;
	struct vio_link_params port[3];	/* of the arrays; the others: defaults */
};

static const struct fabric_case fabric_cases[] = {
	/* Without the feature, every link is at the defaults. */
	{ "linear 0 1 a 0", NULL, 1, 0, LINK_DEF, { LINK_DEF } },
	{ "stripe 1 8 " LEGS3 " 0", NULL, 3, 0, LINK_DEF, { LINK_DEF, LINK_DEF, LINK_DEF } },
	{ "linear 0 1 a 0 1 fabric_host", NULL, 1, FAB_HOST, LINK_DEF, { LINK_DEF } },

	/* Two specs: the upstream link's, and one for every port. */
	{ "linear 0 1 a 0 4 fabric 2 gen=1 gen=2", NULL, 1, FAB,
	  { 1, 4, 256, 1000, 64 }, { { 2, 4, 256, 1000, 64 } } },
	{ "stripe 1 8 " LEGS3 " 4 fabric 2 gen=5,width=16 credits=8,mps=128", NULL, 3, FAB,
	  { 5, 16, 256, 1000, 64 },
	  { { 3, 4, 128, 1000, 8 }, { 3, 4, 128, 1000, 8 }, { 3, 4, 128, 1000, 8 } } },
	{ "stripe 1 8 " LEGS3 " 4 fabric 2 " UP_MAX " credits=4096,lat_ns=0", NULL, 3, FAB,
	  { 5, 16, 4096, 10000000, 64 },
	  { { 3, 4, 256, 0, 4096 }, { 3, 4, 256, 0, 4096 }, { 3, 4, 256, 0, 4096 } } },
	{ "linear 0 1 a 0 4 fabric 02 gen=1 gen=1", NULL, 1, FAB,
	  { 1, 4, 256, 1000, 64 }, { { 1, 4, 256, 1000, 64 } } },
	/* 1 + #arrays specs: one per array, in array order. */
	{ "stripe 1 8 " LEGS3 " 6 fabric 4 lat_ns=0 gen=1 gen=2 gen=4,credits=1", NULL, 3, FAB,
	  { 3, 4, 256, 0, 64 },
	  { { 1, 4, 256, 1000, 64 }, { 2, 4, 256, 1000, 64 }, { 4, 4, 256, 1000, 1 } } },
	{ "linear 0 2 a 0 b 0 5 fabric 3 gen=3 width=1 width=2", NULL, 2, FAB,
	  LINK_DEF, { { 3, 1, 256, 1000, 64 }, { 3, 2, 256, 1000, 64 } } },
	/* With the other features, in any order. */
	{ "linear 0 2 a 0 b 0 5 fabric 2 gen=2 width=1 fabric_host", NULL, 2, FAB | FAB_HOST,
	  { 2, 4, 256, 1000, 64 }, { { 3, 1, 256, 1000, 64 }, { 3, 1, 256, 1000, 64 } } },
	{ "linear 0 2 a 0 b 0 5 fabric_host fabric 2 gen=2 width=1", NULL, 2, FAB | FAB_HOST,
	  { 2, 4, 256, 1000, 64 }, { { 3, 1, 256, 1000, 64 }, { 3, 1, 256, 1000, 64 } } },
	{ "mirror 0 2 a 0 b 0 6 nosync fabric 2 gen=4 mps=512 fabric_host", NULL, 2,
	  VIO_F_NOSYNC | FAB | FAB_HOST, { 4, 4, 256, 1000, 64 },
	  { { 3, 4, 512, 1000, 64 }, { 3, 4, 512, 1000, 64 } } },
	{ "linear 0 1 a 0 7 tag vm1 fabric 2 gen=2 gen=2 ignore_discard", NULL, 1,
	  VIO_F_TAG | FAB | VIO_F_IGNORE_DISCARD, { 2, 4, 256, 1000, 64 },
	  { { 2, 4, 256, 1000, 64 } } },

	/* The number of specs. */
	{ "linear 0 1 a 0 1 fabric", FAB_USAGE },
	{ "linear 0 1 a 0 2 ignore_discard fabric", FAB_USAGE },
	{ "linear 0 1 a 0 2 fabric 1", NSPECS "'1' (expected 2)" },
	{ "linear 0 1 a 0 4 fabric 3 gen=1 gen=1", NSPECS "'3' (expected 2)" },
	{ "stripe 1 8 " LEGS3 " 3 fabric 1 gen=1", NSPECS "'1' (expected 2 or 4)" },
	{ "stripe 1 8 " LEGS3 " 5 fabric 3 gen=1 gen=1 gen=1", NSPECS "'3' (expected 2 or 4)" },
	{ "stripe 1 8 " LEGS3 " 7 fabric 5 gen=1 gen=1 gen=1 gen=1 gen=1",
	  NSPECS "'5' (expected 2 or 4)" },
	{ "linear 0 2 a 0 b 0 6 fabric 4 gen=1 gen=1 gen=1 gen=1", NSPECS "'4' (expected 2 or 3)" },
	{ "linear 0 1 a 0 4 fabric 0 gen=1 gen=1", NSPECS "'0' (expected 2)" },
	{ "linear 0 1 a 0 4 fabric x gen=1 gen=1", NSPECS "'x' (expected 2)" },
	{ "linear 0 1 a 0 4 fabric +2 gen=1 gen=1", NSPECS "'+2' (expected 2)" },
	{ "linear 0 1 a 0 4 fabric -2 gen=1 gen=1", NSPECS "'-2' (expected 2)" },
	{ "linear 0 1 a 0 4 fabric 2.0 gen=1 gen=1", NSPECS "'2.0' (expected 2)" },
	{ "linear 0 1 a 0 4 fabric 4294967298 gen=1 gen=1",
	  NSPECS "'4294967298' (expected 2)" },
	{ "linear 0 1 a 0 3 fabric gen=1 gen=1", NSPECS "'gen=1' (expected 2)" },
	/* Fewer specs than it says, within the feature group. */
	{ "linear 0 1 a 0 2 fabric 2", "Feature 'fabric': expected 2 link specs, got 0" },
	{ "linear 0 1 a 0 3 fabric 2 gen=1", "Feature 'fabric': expected 2 link specs, got 1" },
	{ "linear 0 1 a 0 3 fabric 2 gen=1 gen=1",
	  "Feature 'fabric': expected 2 link specs, got 1" },
	{ "stripe 1 8 " LEGS3 " 5 fabric 4 gen=1 gen=1 gen=1",
	  "Feature 'fabric': expected 4 link specs, got 3" },
	{ "linear 0 1 a 0 5 fabric 2 gen=1 gen=1", "Expected 5 feature arguments, got 4" },

	/* The specs themselves; the words after the count are specs. */
	{ "linear 0 1 a 0 4 fabric 2 gen=6 gen=1", "Link gen '6' is not 1 to 5" },
	{ "linear 0 1 a 0 4 fabric 2 gen=1 width=3", "Link width 3 is not 1, 2, 4, 8 or 16" },
	{ "stripe 1 8 " LEGS3 " 6 fabric 4 gen=1 gen=1 gen=1 mps=64",
	  "Link mps '64' is not 128 to 4096" },
	{ "linear 0 1 a 0 4 fabric 2 gen=1 credits=0", "Link credits '0' is not 1 to 4096" },
	{ "linear 0 1 a 0 4 fabric 2 credits=8 gen=1", "Unknown link key 'credits' " UP_KEYS },
	{ "linear 0 1 a 0 4 fabric 2 gen=3,credits=64 gen=1",
	  "Unknown link key 'credits' " UP_KEYS },
	{ "linear 0 1 a 0 4 fabric 2 ignore_discard gen=1",
	  "Unknown link key 'ignore_discard' " UP_KEYS },
	{ "linear 0 1 a 0 4 fabric 2 gen=1 fabric_host",
	  "Unknown link key 'fabric_host' " PORT_KEYS },
	{ "linear 0 1 a 0 4 fabric 2 gen=1,gen=2 gen=1", "Link key 'gen' given twice" },
	{ "linear 0 1 a 0 4 fabric 2 gen=1 gen=1,", "Unknown link key '' " PORT_KEYS },

	/* Each feature once; what follows the group. */
	{ "linear 0 1 a 0 8 fabric 2 gen=1 gen=1 fabric 2 gen=2 gen=2",
	  "Feature 'fabric' given twice" },
	{ "linear 0 1 a 0 2 fabric_host fabric_host", "Feature 'fabric_host' given twice" },
	{ "linear 0 1 a 0 1 FABRIC", "Unknown feature 'FABRIC'" },
	{ "linear 0 1 a 0 1 fabric-host", "Unknown feature 'fabric-host'" },
	{ "linear 0 1 a 0 5 fabric 2 gen=1 gen=1 extra", "Unknown feature 'extra'" },
	{ "linear 0 1 a 0 4 fabric 2 gen=1 gen=1 extra",
	  "Unexpected argument 'extra' after the feature group" },
	/* Up to 8 + 2 + DM_VIO_MAX_ARRAYS = 42 feature arguments. */
	{ "linear 0 1 a 0 42 fabric 2 gen=1 gen=1", "Expected 42 feature arguments, got 4" },
	{ "linear 0 1 a 0 43 fabric 2 gen=1 gen=1",
	  "Invalid number of feature arguments '43' (expected 0 to 42)" },
};

static void fabric_case_desc(const struct fabric_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "\"%s\"", c->line);
}

KUNIT_ARRAY_PARAM(fabric, fabric_cases, fabric_case_desc);

static void expect_link(struct kunit *test, const char *what, unsigned int i,
			const struct vio_link_params *got,
			const struct vio_link_params *want)
{
	KUNIT_EXPECT_EQ_MSG(test, got->gen, want->gen, "%s %u", what, i);
	KUNIT_EXPECT_EQ_MSG(test, got->width, want->width, "%s %u", what, i);
	KUNIT_EXPECT_EQ_MSG(test, got->mps, want->mps, "%s %u", what, i);
	KUNIT_EXPECT_EQ_MSG(test, got->lat_ns, want->lat_ns, "%s %u", what, i);
	KUNIT_EXPECT_EQ_MSG(test, got->credits, want->credits, "%s %u", what, i);
}

/* Lines with fabric features: the exact message, or every link. */
static void vio_parse_table_fabric_test(struct kunit *test)
{
	const struct fabric_case *c = test->param_value;
	const struct vio_link_params def = LINK_DEF;
	struct vio_table_args *args;
	char *argv[MAX_WORDS];
	struct vio_err err = {};
	unsigned int argc, i;
	int r;

	args = kunit_kzalloc(test, sizeof(*args), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, args);
	argc = vio_split_words(test, c->line, argv, MAX_WORDS);
	r = vio_parse_table(argc, argv, args, &err);

	vio_expect_result(test, r, &err, c->error);
	if (c->error) {
		KUNIT_EXPECT_STREQ(test, err.msg, c->error);
		return;
	}
	KUNIT_EXPECT_EQ(test, args->nr_arrays, c->nr_arrays);
	KUNIT_EXPECT_EQ(test, args->features, c->features);
	expect_link(test, "upstream", 0, &args->link_up, &c->up);
	for (i = 0; i < DM_VIO_MAX_ARRAYS; i++)
		expect_link(test, "port", i, &args->link_port[i],
			    i < c->nr_arrays ? &c->port[i] : &def);
}

/* A word of up to 31 characters that lives as long as the test. */
static __printf(2, 3) char *table_word(struct kunit *test, const char *fmt, ...)
{
	char *word = kunit_kzalloc(test, 32, GFP_KERNEL);
	va_list ap;

	if (word) {
		va_start(ap, fmt);
		vsnprintf(word, 32, fmt, ap);
		va_end(ap);
	}
	return word;
}

/*
 * The largest fabric: 32 arrays, a spec for each (credits and latency
 * set to tell them apart), with every other feature a linear table can
 * have: 35 + 1 + 1 + 2 = 39 feature arguments. Then the same arrays with
 * one spec for every port.
 */
static void vio_parse_table_fabric_max_test(struct kunit *test)
{
	static const unsigned int specs[] = { 1 + DM_VIO_MAX_ARRAYS, 2 };
	const struct vio_link_params def = LINK_DEF;
	struct vio_table_args *args;
	struct vio_err err = {};
	unsigned int s, i, argc, nspecs;
	char **argv;

	args = kunit_kzalloc(test, sizeof(*args), GFP_KERNEL);
	argv = kunit_kcalloc(test, 3 + 2 * DM_VIO_MAX_ARRAYS + 40, sizeof(*argv), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, args);
	KUNIT_ASSERT_NOT_NULL(test, argv);
	for (s = 0; s < ARRAY_SIZE(specs); s++) {
		nspecs = specs[s];
		argc = 0;
		argv[argc++] = "linear";
		argv[argc++] = "0";
		argv[argc++] = "32";
		for (i = 0; i < DM_VIO_MAX_ARRAYS; i++) {
			argv[argc++] = table_word(test, "/dev/d%u", i);
			argv[argc++] = "0";
		}
		argv[argc++] = table_word(test, "%u", nspecs + 6);
		argv[argc++] = "ignore_discard";
		argv[argc++] = "fabric";
		argv[argc++] = table_word(test, "%u", nspecs);
		argv[argc++] = "gen=5,width=16";
		for (i = 0; i < nspecs - 1; i++)
			argv[argc++] = table_word(test, "credits=%u,lat_ns=%u", i + 1, i);
		argv[argc++] = "fabric_host";
		argv[argc++] = "tag";
		argv[argc++] = "vm";
		for (i = 0; i < argc; i++)
			KUNIT_ASSERT_NOT_NULL(test, argv[i]);

		KUNIT_ASSERT_EQ_MSG(test, vio_parse_table(argc, argv, args, &err), 0,
				    "%u specs: %s", nspecs, err.msg);
		KUNIT_EXPECT_EQ(test, args->nr_arrays, DM_VIO_MAX_ARRAYS);
		KUNIT_EXPECT_EQ(test, args->features,
				VIO_F_IGNORE_DISCARD | FAB | FAB_HOST | VIO_F_TAG);
		KUNIT_EXPECT_STREQ(test, args->tag, "vm");
		KUNIT_EXPECT_EQ(test, args->link_up.gen, 5);
		KUNIT_EXPECT_EQ(test, args->link_up.width, 16);
		KUNIT_EXPECT_EQ(test, args->link_up.credits, def.credits);
		for (i = 0; i < DM_VIO_MAX_ARRAYS; i++) {
			/* Port i: credits i + 1, lat_ns i; or all as port 0. */
			struct vio_link_params want = def;

			want.credits = nspecs == 2 ? 1 : i + 1;
			want.lat_ns = nspecs == 2 ? 0 : i;
			expect_link(test, "port", i, &args->link_port[i], &want);
		}
	}
}

static struct kunit_case vio_table_test_cases[] = {
	KUNIT_CASE_PARAM(vio_parse_table_test, table_gen_params),
	KUNIT_CASE(vio_parse_table_arrays_test),
	KUNIT_CASE(vio_parse_table_max_arrays_test),
	KUNIT_CASE_PARAM(vio_parse_table_mirror_test, mirror_gen_params),
	KUNIT_CASE_PARAM(vio_parse_table_fabric_test, fabric_gen_params),
	KUNIT_CASE(vio_parse_table_fabric_max_test),
	{}
};

static struct kunit_suite vio_table_test_suite = {
	.name = "dm_vio_table",
	.test_cases = vio_table_test_cases,
};

kunit_test_suite(vio_table_test_suite);

