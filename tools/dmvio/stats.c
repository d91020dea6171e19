// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmvio: parsing what the vio target prints.
 *
 * The "stats" message is the authoritative source: one object per line,
 * a kind, a fixed number of words for that kind, then key=value pairs
 * (new keys are only ever appended). A tenant's cgroup path comes last,
 * with spaces, backslashes and bytes other than printable ASCII escaped
 * as \ooo; it is unescaped here. A VM name is printable ASCII without
 * spaces; older modules printed any name, so a name still runs up to the
 * tenant's counters.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dmvio.h"

static const struct {
	const char *kind;
	unsigned int words;
} kinds[] = {
	{ "volume", 0 }, { "array", 1 }, { "mirror", 0 }, { "qos", 0 },
	{ "class", 1 }, { "tenant", 3 }, { "link", 2 },
};

static char *next_word(char **p)
{
	char *s = *p, *w;

	while (*s == ' ')
		s++;
	w = s;
	while (*s && *s != ' ')
		s++;
	if (*s)
		*s++ = '\0';
	*p = s;
	return w;
}

static void obj_add(struct obj *o, char *key, char *val)
{
	o->kv = xrealloc(o->kv, (o->nkv + 1) * sizeof(*o->kv));
	o->kv[o->nkv].key = key;
	o->kv[o->nkv].val = val;
	o->nkv++;
}

/* Undo the kernel's \ooo escaping of a path, in place. */
static void unescape_octal(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

/*
 * Where a tenant's counters start after "vm=<name>": the first " reads=<n>
 * writes=" (a VM name may hold spaces, even "reads=").
 */
static char *counters_start(char *p)
{
	while ((p = strstr(p, " reads="))) {
		char *d = p + strlen(" reads=");

		if (isdigit((unsigned char)*d)) {
			while (isdigit((unsigned char)*d))
				d++;
			if (!strncmp(d, " writes=", 8))
				return p;
		}
		p++;
	}
	return NULL;
}

void obj_parse(char *line, struct obj *o)
{
	int words = -1;
	char *p = line;
	size_t i;

	memset(o, 0, sizeof(*o));
	o->kind = next_word(&p);
	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(o->kind, kinds[i].kind))
			words = kinds[i].words;
	while (*p && o->nword < ARRAY_SIZE(o->word)) {
		char *end = p + strcspn(p, " ");

		if (words >= 0 ? o->nword >= (unsigned int)words : !!memchr(p, '=', end - p))
			break;
		o->word[o->nword++] = next_word(&p);
	}
	while (*p) {
		char *w, *eq;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (!strncmp(p, "path=", 5)) {
			unescape_octal(p + 5);
			obj_add(o, "path", p + 5);
			break;
		}
		if (!strncmp(p, "vm=", 3)) {
			char *e = counters_start(p);

			if (e) {
				*e = '\0';
				obj_add(o, "vm", p + 3);
				p = e + 1;
				continue;
			}
		}
		w = next_word(&p);
		eq = strchr(w, '=');
		if (eq) {
			*eq = '\0';
			obj_add(o, w, eq + 1);
		} else {
			obj_add(o, w, "");
		}
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int stats_read(const struct vol *v, struct stats *st)
{
	char *line, *save = NULL;

	memset(st, 0, sizeof(*st));
	if (vol_message(v, "stats", &st->text))
		return -1;
	st->time = now();
	for (line = strtok_r(st->text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		st->obj = xrealloc(st->obj, (st->nobj + 1) * sizeof(*st->obj));
		obj_parse(line, &st->obj[st->nobj++]);
	}
	return 0;
}

void stats_free(struct stats *st)
{
	unsigned int i;

	for (i = 0; i < st->nobj; i++)
		free(st->obj[i].kv);
	free(st->obj);
	free(st->text);
	memset(st, 0, sizeof(*st));
}

const struct obj *stats_find(const struct stats *st, const char *kind, const char *word0)
{
	unsigned int i;

	for (i = 0; i < st->nobj; i++) {
		const struct obj *o = &st->obj[i];

		if (strcmp(o->kind, kind))
			continue;
		if (!word0 || (o->nword && !strcmp(o->word[0], word0)))
			return o;
	}
	return NULL;
}

const char *obj_get(const struct obj *o, const char *key)
{
	unsigned int i;

	if (!o)
		return NULL;
	for (i = 0; i < o->nkv; i++)
		if (!strcmp(o->kv[i].key, key))
			return o->kv[i].val;
	return NULL;
}

uint64_t obj_u64(const struct obj *o, const char *key)
{
	const char *s = obj_get(o, key);
	uint64_t v;

	return s && !parse_u64(s, &v) ? v : 0;
}

/*
 * The INFO status line: every variable part is preceded by its count, so
 * it can be walked to the fabric group at its end.
 */
int status_parse(const char *line, struct status_info *si)
{
	char *copy = xstrdup(line), *p = copy, *w;
	uint64_t n;
	int r = -1;

	memset(si, 0, sizeof(*si));
	w = next_word(&p);
	snprintf(si->layout, sizeof(si->layout), "%s", w);
	if (parse_u64(next_word(&p), &n) || n > DM_VIO_MAX_ARRAYS)
		goto out;
	si->narrays = n;
	/* <dev> <state> and the counters, per array */
	for (n *= 2 + DM_VIO_NR_ARRAY_COUNTERS; n; n--)
		next_word(&p);
	if (!strcmp(si->layout, DM_VIO_LAYOUT_MIRROR)) {
		next_word(&p);	/* selector */
		next_word(&p);	/* region_sectors */
		if (parse_u64(next_word(&p), &n) || n > DM_VIO_MAX_ARRAYS)
			goto out;
		for (n = n * 4 + 1; n; n--)
			next_word(&p);
	}
	next_word(&p);		/* qos on|off */
	if (parse_u64(next_word(&p), &n) || n > 4096)
		goto out;
	for (n *= 5; n; n--)
		next_word(&p);
	if (strcmp(next_word(&p), "fabric"))
		goto out;
	next_word(&p);		/* on|off, as in stats */
	snprintf(si->fabric_mode, sizeof(si->fabric_mode), "%s", next_word(&p));
	si->parsed = true;
	r = 0;
out:
	free(copy);
	return r;
}
