// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmvio: QoS class parameters, checked before anything is sent.
 *
 * The keys, their order (that of "class list"), kinds and limits follow
 * the module's class parameter grammar (dm-vio.rst, "Classes"); the
 * kernel checks everything again. Checking here lets "apply" refuse a
 * policy file as a whole, before it changes anything.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "dmvio.h"

/* The kernel's limits (linux/dm-vio.h), checked before anything is sent. */
#define IOPS_MAX	DM_VIO_IOPS_MAX
#define BPS_MAX		DM_VIO_BPS_MAX
#define BURST_LEN_MAX	DM_VIO_BURST_LEN_MAX
#define WEIGHT_MIN	1
#define WEIGHT_MAX	DM_VIO_WEIGHT_MAX
#define WEIGHT_DEFAULT	100
#define IOPS_SIZE_MAX	DM_VIO_IOPS_SIZE_MAX
#define LAT_TARGET_MAX	DM_VIO_LAT_TARGET_MAX
#define CLASS_NAME_MAX	DM_VIO_CLASS_NAME_MAX
#define PATTERN_MAX	DM_VIO_PATTERN_MAX

#define LIMIT(n, kind, max) \
	{ n, kind, max, 0 }, { n "_max", kind, max, 0 }, \
	{ n "_max_len", PARAM_U32, BURST_LEN_MAX, 0 }

const struct param_key param_keys[] = {
	{ "res_iops", PARAM_IOPS, IOPS_MAX, 0 },
	{ "res_bps", PARAM_BYTES, BPS_MAX, 0 },
	{ "weight", PARAM_U32, WEIGHT_MAX, WEIGHT_DEFAULT },
	LIMIT("riops", PARAM_IOPS, IOPS_MAX),
	LIMIT("wiops", PARAM_IOPS, IOPS_MAX),
	LIMIT("iops", PARAM_IOPS, IOPS_MAX),
	LIMIT("rbps", PARAM_BYTES, BPS_MAX),
	LIMIT("wbps", PARAM_BYTES, BPS_MAX),
	LIMIT("bps", PARAM_BYTES, BPS_MAX),
	{ "iops_size", PARAM_BYTES, IOPS_SIZE_MAX, 0 },
	{ "lat_target_us", PARAM_U32, LAT_TARGET_MAX, 0 },
	{ "prefer", PARAM_ARRAYS, 0, 0 },
	{ "avoid", PARAM_ARRAYS, 0, 0 },
};

const size_t nparam_keys = ARRAY_SIZE(param_keys);

/* The limits, in param_keys order: each is followed by _max and _max_len. */
static const char * const limits[] = { "riops", "wiops", "iops", "rbps", "wbps", "bps" };

int param_find(const char *name)
{
	size_t k;

	for (k = 0; k < nparam_keys; k++)
		if (!strcmp(param_keys[k].name, name))
			return k;
	return -1;
}

void params_default(struct params *p)
{
	size_t k;

	memset(p, 0, sizeof(*p));
	for (k = 0; k < nparam_keys; k++)
		p->v[k] = param_keys[k].def;
}

/* As the module: digits, then for bytes an optional k/m/g/t (powers of 1024). */
static int parse_value(const char *s, bool bytes, uint64_t *out, bool *range)
{
	unsigned int shift = 0;
	char digits[24];
	size_t n = 0;
	uint64_t v;

	*range = false;
	while (isdigit((unsigned char)s[n]))
		n++;
	if (!n)
		return -1;
	if (s[n]) {
		const char *u;

		if (!bytes || s[n + 1])
			return -1;
		u = strchr("kmgt", tolower((unsigned char)s[n]));
		if (!u || !*u)
			return -1;
		shift = 10 * (u - "kmgt" + 1);
	}
	if (n >= sizeof(digits)) {
		*range = true;
		return -1;
	}
	memcpy(digits, s, n);
	digits[n] = '\0';
	if (parse_u64(digits, &v) || (shift && v > (UINT64_MAX >> shift))) {
		*range = true;
		return -1;
	}
	*out = v << shift;
	return 0;
}

static int parse_arrays(const char *s, uint64_t *out)
{
	uint64_t mask = 0;

	if (!strcmp(s, "none")) {
		*out = 0;
		return 0;
	}
	for (;;) {
		unsigned int n = 0, v = 0;

		while (isdigit((unsigned char)s[n])) {
			v = v * 10 + (s[n++] - '0');
			if (v >= 1000)
				v = 1000;
		}
		if (!n || v >= DM_VIO_MAX_ARRAYS || (mask & (1ULL << v)))
			return -1;
		mask |= 1ULL << v;
		s += n;
		if (!*s)
			break;
		if (*s++ != ',')
			return -1;
	}
	*out = mask;
	return 0;
}

int params_word(struct params *p, const char *word, char *err, size_t errsz)
{
	const char *eq = strchr(word, '=');
	size_t len = eq ? (size_t)(eq - word) : strlen(word), k;
	const struct param_key *key = NULL;
	uint64_t v;
	bool range;

	for (k = 0; k < nparam_keys; k++)
		if (strlen(param_keys[k].name) == len && !strncmp(param_keys[k].name, word, len)) {
			key = &param_keys[k];
			break;
		}
	if (!key) {
		snprintf(err, errsz, "unknown class parameter '%s'", word);
		return -1;
	}
	if (!eq) {
		snprintf(err, errsz, "class parameter '%s' needs a value: %s=<n>", key->name,
			 key->name);
		return -1;
	}
	if (p->seen & (1U << k)) {
		snprintf(err, errsz, "class parameter '%s' given twice", key->name);
		return -1;
	}
	if (key->kind == PARAM_ARRAYS) {
		if (parse_arrays(eq + 1, &v)) {
			snprintf(err, errsz,
				 "class parameter '%s': expected array indices below %d, like 0,2, or none",
				 word, DM_VIO_MAX_ARRAYS);
			return -1;
		}
	} else if (parse_value(eq + 1, key->kind == PARAM_BYTES, &v, &range) && !range) {
		snprintf(err, errsz, "class parameter '%s': %s", word,
			 key->kind == PARAM_BYTES ?
			 "expected bytes (digits, optional k/m/g/t suffix)" :
			 "expected a decimal number");
		return -1;
	} else if (range || v > key->max) {
		snprintf(err, errsz, "class parameter '%s' is out of range (at most %llu)",
			 word, (unsigned long long)key->max);
		return -1;
	}
	p->v[k] = v;
	p->seen |= 1U << k;
	return 0;
}

static uint64_t get(const struct params *p, const char *name)
{
	return p->v[param_find(name)];
}

int params_check(const struct params *p, char *err, size_t errsz)
{
	uint64_t w = get(p, "weight"), both = get(p, "prefer") & get(p, "avoid");
	size_t i;

	if (w < WEIGHT_MIN || w > WEIGHT_MAX) {
		snprintf(err, errsz, "class weight %llu is out of range %d-%d",
			 (unsigned long long)w, WEIGHT_MIN, WEIGHT_MAX);
		return -1;
	}
	if (both) {
		snprintf(err, errsz, "class both prefers and avoids array %d",
			 __builtin_ctzll(both));
		return -1;
	}
	for (i = 0; i < ARRAY_SIZE(limits); i++) {
		int k = param_find(limits[i]);
		uint64_t lim = p->v[k], max = p->v[k + 1], len = p->v[k + 2];
		const char *n = limits[i];

		if (max && !lim) {
			snprintf(err, errsz, "class parameter '%s_max' needs the limit '%s' it bursts above",
				 n, n);
			return -1;
		}
		if (max && max <= lim) {
			snprintf(err, errsz, "burst rate %s_max=%llu must exceed the limit %s=%llu",
				 n, (unsigned long long)max, n, (unsigned long long)lim);
			return -1;
		}
		if (len && !max) {
			snprintf(err, errsz, "class parameter '%s_max_len' needs a burst rate '%s_max'",
				 n, n);
			return -1;
		}
	}
	if (get(p, "iops") && get(p, "res_iops") > get(p, "iops")) {
		snprintf(err, errsz, "reservation res_iops=%llu exceeds the limit iops=%llu",
			 (unsigned long long)get(p, "res_iops"),
			 (unsigned long long)get(p, "iops"));
		return -1;
	}
	if (get(p, "bps") && get(p, "res_bps") > get(p, "bps")) {
		snprintf(err, errsz, "reservation res_bps=%llu exceeds the limit bps=%llu",
			 (unsigned long long)get(p, "res_bps"), (unsigned long long)get(p, "bps"));
		return -1;
	}
	return 0;
}

void params_format_key(const struct params *p, size_t k, struct buf *b)
{
	const struct param_key *key = &param_keys[k];

	if (key->kind == PARAM_ARRAYS) {
		uint64_t mask = p->v[k];
		char sep = '=';
		int a;

		buf_add(b, "%s", key->name);
		if (!mask)
			buf_add(b, "=none");
		for (a = 0; a < DM_VIO_MAX_ARRAYS; a++)
			if (mask & (1ULL << a)) {
				buf_add(b, "%c%d", sep, a);
				sep = ',';
			}
	} else {
		buf_add(b, "%s=%llu", key->name, (unsigned long long)p->v[k]);
	}
}

void params_format(const struct params *p, struct buf *b)
{
	size_t k;
	bool first = true;

	buf_add(b, "%s", "");
	for (k = 0; k < nparam_keys; k++) {
		if (p->v[k] == param_keys[k].def)
			continue;
		if (!first)
			buf_add(b, " ");
		params_format_key(p, k, b);
		first = false;
	}
}

int class_name_check(const char *name, char *err, size_t errsz)
{
	size_t i, len = strlen(name);

	if (!len) {
		snprintf(err, errsz, "empty class name");
		return -1;
	}
	if (len > CLASS_NAME_MAX) {
		snprintf(err, errsz, "class name '%s' is longer than %d characters", name,
			 CLASS_NAME_MAX);
		return -1;
	}
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("_.:-", name[i])) {
			snprintf(err, errsz, "class name '%s' may only use letters, digits and _.:-",
				 name);
			return -1;
		}
	return 0;
}

int pattern_check(const char *pattern, char *err, size_t errsz)
{
	const char *eq = strchr(pattern, '=');
	size_t i, len;

	if (!eq || (strncmp(pattern, "vm=", 3) && strncmp(pattern, "cgroup=", 7))) {
		snprintf(err, errsz, "tenant pattern '%s' must be vm=<glob> or cgroup=<glob>",
			 pattern);
		return -1;
	}
	len = strlen(eq + 1);
	if (!len) {
		snprintf(err, errsz, "tenant pattern '%s' is empty", pattern);
		return -1;
	}
	if (len > PATTERN_MAX) {
		snprintf(err, errsz, "tenant pattern '%.40s...' is longer than %d bytes", pattern,
			 PATTERN_MAX);
		return -1;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)eq[1 + i] <= ' ' || (unsigned char)eq[1 + i] >= 0x7f) {
			snprintf(err, errsz, "tenant pattern '%s' is not printable ASCII", pattern);
			return -1;
		}
	return 0;
}
