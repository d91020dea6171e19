/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the dm-vio KUnit suites.
 */
#ifndef DM_VIO_VIO_TEST_H
#define DM_VIO_VIO_TEST_H

#include <kunit/test.h>
#include <linux/string.h>

#include "table.h"

/*
 * Check the outcome of a call that fills a struct vio_err: success when
 * @want is NULL, else -EINVAL with a message starting with @want.
 */
static inline void vio_expect_result(struct kunit *test, int r,
				     const struct vio_err *err,
				     const char *want)
{
	if (!want) {
		KUNIT_ASSERT_EQ_MSG(test, r, 0, "unexpected error \"%s\"", err->msg);
		return;
	}
	KUNIT_EXPECT_EQ(test, r, -EINVAL);
	KUNIT_EXPECT_TRUE_MSG(test, !strncmp(err->msg, want, strlen(want)),
			      "got \"%s\", want \"%s...\"", err->msg, want);
}

/*
 * Split @line at spaces into at most @max words in @argv, as
 * dm_split_args() would for lines without quoting. The words live as long
 * as the test.
 */
static inline unsigned int vio_split_words(struct kunit *test, const char *line,
					   char **argv, unsigned int max)
{
	char *copy = kunit_kstrdup(test, line, GFP_KERNEL);
	unsigned int argc = 0;
	char *word;

	KUNIT_ASSERT_NOT_NULL(test, copy);
	while ((word = strsep(&copy, " ")) != NULL) {
		if (!*word)
			continue;
		KUNIT_ASSERT_LT(test, argc, max);
		argv[argc++] = word;
	}
	return argc;
}

#endif /* DM_VIO_VIO_TEST_H */
