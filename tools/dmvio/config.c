// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmvio: one configuration message per command: classes, rules, mirror
 * legs, the selector, capacity, depth, fabric links, and remove.
 *
 * Arguments are checked here first, so that a mistake gets a precise
 * message even where the kernel log cannot be read; the kernel checks
 * everything again and its reason is shown when it refuses.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmvio.h"

/* Send @msg to the volume named @arg. */
static int send(const char *arg, const char *msg)
{
	struct vol v;
	int r;

	if (vol_open(arg, &v))
		return -1;
	r = vol_message(&v, msg, NULL);
	vol_close(&v);
	return r;
}

DMVIO_CMD(cmd_class)
{
	struct params p;
	struct buf msg = {};
	char why[256];
	int i, r;

	if (class_name_check(argv[1], why, sizeof(why))) {
		warnx("%s", why);
		return -1;
	}
	params_default(&p);
	for (i = 2; i < argc; i++)
		if (params_word(&p, argv[i], why, sizeof(why))) {
			warnx("%s", why);
			return -1;
		}
	/* "set" changes some keys of the class: checks between keys are the kernel's. */
	if (!strcmp(cmd->verb, "add") && params_check(&p, why, sizeof(why))) {
		warnx("%s", why);
		return -1;
	}
	buf_add(&msg, "class %s %s", !strcmp(cmd->verb, "add") ? "create" : cmd->verb, argv[1]);
	for (i = 2; i < argc; i++)
		buf_add(&msg, " %s", argv[i]);
	r = send(argv[0], msg.s);
	buf_free(&msg);
	return r;
}

DMVIO_CMD(cmd_rule)
{
	const char *pattern = argv[argc - 2], *cls = argv[argc - 1];
	struct buf msg = {};
	char why[320], *esc;
	uint64_t idx;
	int r;

	if (!strcmp(cmd->verb, "delete"))
		pattern = argv[1];
	if (pattern_check(pattern, why, sizeof(why))) {
		warnx("%s", why);
		return -1;
	}
	esc = dm_escape(pattern);
	if (!strcmp(cmd->verb, "delete")) {
		buf_add(&msg, "rule delete %s", esc);
	} else {
		if (class_name_check(cls, why, sizeof(why))) {
			warnx("%s", why);
			free(esc);
			return -1;
		}
		if (!strcmp(cmd->verb, "insert")) {
			if (parse_u64(argv[1], &idx) || idx > 1000) {
				warnx("invalid rule index '%s' (expected a number from 0)", argv[1]);
				free(esc);
				return -1;
			}
			buf_add(&msg, "rule insert %llu %s %s", (unsigned long long)idx, esc, cls);
		} else {
			buf_add(&msg, "rule add %s %s", esc, cls);
		}
	}
	r = send(argv[0], msg.s);
	buf_free(&msg);
	free(esc);
	return r;
}

static int open_mirror(const char *arg, struct vol *v)
{
	if (vol_open(arg, v))
		return -1;
	if (strncmp(v->table, DM_VIO_LAYOUT_MIRROR " ", strlen(DM_VIO_LAYOUT_MIRROR) + 1)) {
		warnx("%s: not a mirror volume", v->name);
		vol_close(v);
		return -1;
	}
	return 0;
}

DMVIO_CMD(cmd_mirror)
{
	uint64_t leg, w = 0;
	struct vol v;
	char *msg;
	int r;

	if (parse_u64(argv[1], &leg) || leg >= DM_VIO_MIRROR_MAX_LEGS) {
		warnx("invalid leg '%s' (expected 0 to %d)", argv[1], DM_VIO_MIRROR_MAX_LEGS - 1);
		return -1;
	}
	if (!strcmp(cmd->verb, "weight")) {
		if (argc != 3)
			usage_error(cmd, "expected <vol> <index> <weight>");
		if (parse_u64(argv[2], &w) || !w || w > 1000) {
			warnx("invalid weight '%s' (expected 1 to 1000)", argv[2]);
			return -1;
		}
	} else if (argc != 2) {
		usage_error(cmd, "too many arguments (expected %s)", cmd->args);
	}
	if (open_mirror(argv[0], &v))
		return -1;
	if (w)
		xasprintf(&msg, "weight %llu %llu", (unsigned long long)leg,
			  (unsigned long long)w);
	else
		xasprintf(&msg, "%s %llu", cmd->verb, (unsigned long long)leg);
	r = vol_message(&v, msg, NULL);
	free(msg);
	vol_close(&v);
	return r;
}

static const char * const selectors[] = {
	DM_VIO_SELECTOR_ROUND_ROBIN, DM_VIO_SELECTOR_LEAST_OUTSTANDING,
	DM_VIO_SELECTOR_SERVICE_TIME,
};

int selector_check(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(selectors); i++)
		if (!strcmp(selectors[i], name))
			return 0;
	warnx("unknown selector '%s' (expected %s, %s or %s)", name, selectors[0],
	      selectors[1], selectors[2]);
	return -1;
}

DMVIO_CMD(cmd_selector)
{
	struct vol v;
	char *msg;
	int r;

	(void)cmd;
	(void)argc;
	if (selector_check(argv[1]) || open_mirror(argv[0], &v))
		return -1;
	xasprintf(&msg, "selector %s", argv[1]);
	r = vol_message(&v, msg, NULL);
	free(msg);
	vol_close(&v);
	return r;
}

/* "iops=<n>" or "bps=<bytes>" as the capacity message takes them. */
int capacity_word(const char *word, uint64_t *iops, uint64_t *bps, char *err, size_t errsz)
{
	struct params p;
	const char *key = strncmp(word, "iops=", 5) ? "bps" : "iops";
	char *w;
	int r;

	if (strncmp(word, "iops=", 5) && strncmp(word, "bps=", 4)) {
		snprintf(err, errsz, "unknown capacity parameter '%s' (expected iops=<n> or bps=<bytes>)",
			 word);
		return -1;
	}
	/* The same grammar and limits as the class limits of those names. */
	params_default(&p);
	r = params_word(&p, word, err, errsz);
	if (r) {
		xasprintf(&w, "capacity%s", strchr(err, ' '));
		snprintf(err, errsz, "%s", w);
		free(w);
		return -1;
	}
	*(strcmp(key, "iops") ? bps : iops) = p.v[param_find(key)];
	return 0;
}

DMVIO_CMD(cmd_capacity)
{
	uint64_t iops = UINT64_MAX, bps = UINT64_MAX;
	struct buf msg = {};
	char why[256];
	int i, r;

	(void)cmd;
	for (i = 1; i < argc; i++) {
		bool is_iops = !strncmp(argv[i], "iops=", 5);
		bool is_bps = !strncmp(argv[i], "bps=", 4);

		if ((is_iops && iops != UINT64_MAX) || (is_bps && bps != UINT64_MAX)) {
			warnx("capacity parameter '%s' given twice", is_iops ? "iops" : "bps");
			return -1;
		}
		if (capacity_word(argv[i], &iops, &bps, why, sizeof(why))) {
			warnx("%s", why);
			return -1;
		}
	}
	buf_add(&msg, "capacity");
	if (iops != UINT64_MAX)
		buf_add(&msg, " iops=%llu", (unsigned long long)iops);
	if (bps != UINT64_MAX)
		buf_add(&msg, " bps=%llu", (unsigned long long)bps);
	r = send(argv[0], msg.s);
	buf_free(&msg);
	return r;
}

DMVIO_CMD(cmd_depth)
{
	uint64_t d;
	char *msg;
	int r;

	(void)cmd;
	(void)argc;
	if (parse_u64(argv[1], &d) || !d || d > 4096) {
		warnx("invalid depth '%s' (expected 1 to 4096)", argv[1]);
		return -1;
	}
	xasprintf(&msg, "depth %llu", (unsigned long long)d);
	r = send(argv[0], msg);
	free(msg);
	return r;
}

DMVIO_CMD(cmd_link)
{
	uint64_t i;
	char *msg;
	int r;

	(void)argc;
	if (strcmp(argv[1], "up") && (parse_u64(argv[1], &i) || i >= DM_VIO_MAX_ARRAYS))
		usage_error(cmd, "invalid link '%s' (expected up or an array index)", argv[1]);
	if (!strchr(argv[2], '=') || strchr(argv[2], ' '))
		usage_error(cmd, "invalid link spec '%s' (expected key=value,...)", argv[2]);
	xasprintf(&msg, "link %s %s", argv[1], argv[2]);
	r = send(argv[0], msg);
	free(msg);
	return r;
}

DMVIO_CMD(cmd_remove)
{
	struct vol v;

	(void)cmd;
	(void)argc;
	if (vol_open(argv[0], &v))
		return -1;
	vol_close(&v);
	return vol_remove(v.name);
}
