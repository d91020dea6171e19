// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmvio apply: make a volume's QoS configuration that of a policy file.
 *
 * The file is parsed and checked as a whole first (every error as
 * "file:line: message"); nothing is sent if any is found. Then the
 * volume's "class list", "rule list" and "qos" are compared with it, and
 * only the messages that make them equal are sent, in an order in which
 * every intermediate state is one the module accepts:
 *
 *   1. capacity raised where the file declares more
 *   2. rules not in the file (or with another class, or out of order) deleted
 *   3. classes not in the file deleted (no rule uses them any more)
 *   4. classes changed whose reservations do not grow
 *   5. classes created, and changed whose reservations grow
 *   6. rules inserted where the file has them
 *   7. capacity and depth set to the file's values
 *
 * A volume that already matches gets no configuration message at all.
 */
#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmvio.h"

#define MAX_CLASSES	DM_VIO_MAX_CLASSES	/* default included */
#define MAX_RULES	DM_VIO_MAX_RULES
#define DEPTH_DEFAULT	32
#define DEPTH_MAX	DM_VIO_DEPTH_MAX
#define BLANKS		" \t\r\n"

struct pclass {
	char *name;
	struct params p;
	unsigned int line;
};

struct prule {
	char *pattern;
	char *cls;
	unsigned int line;
};

struct policy {
	struct pclass *classes;
	size_t nclasses;
	struct prule *rules;
	size_t nrules;
	uint64_t cap[2];	/* iops, bps */
	unsigned int cap_line;
	uint64_t depth;
	unsigned int depth_line;
};

struct parser {
	const char *file;
	unsigned int line;
	unsigned int errors;
};

static void perr(struct parser *ps, unsigned int line, const char *fmt, ...)
	__printf(3, 4);

static void perr(struct parser *ps, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%u: ", ps->file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	ps->errors++;
}

static struct pclass *find_class(struct pclass *c, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(c[i].name, name))
			return &c[i];
	return NULL;
}

static void policy_free(struct policy *pol)
{
	size_t i;

	for (i = 0; i < pol->nclasses; i++)
		free(pol->classes[i].name);
	for (i = 0; i < pol->nrules; i++) {
		free(pol->rules[i].pattern);
		free(pol->rules[i].cls);
	}
	free(pol->classes);
	free(pol->rules);
	memset(pol, 0, sizeof(*pol));
}

static void parse_capacity(struct parser *ps, struct policy *pol, char **w, int n)
{
	uint64_t v[2] = { UINT64_MAX, UINT64_MAX };
	char why[256];
	int i;

	if (pol->cap_line) {
		perr(ps, ps->line, "capacity given twice (first on line %u)", pol->cap_line);
		return;
	}
	pol->cap_line = ps->line;
	if (!n) {
		perr(ps, ps->line, "capacity needs iops=<n>, bps=<bytes> or both");
		return;
	}
	for (i = 0; i < n; i++) {
		bool is_iops = !strncmp(w[i], "iops=", 5), is_bps = !strncmp(w[i], "bps=", 4);

		if ((is_iops && v[0] != UINT64_MAX) || (is_bps && v[1] != UINT64_MAX)) {
			perr(ps, ps->line, "capacity parameter '%s' given twice",
			     is_iops ? "iops" : "bps");
			return;
		}
		if (capacity_word(w[i], &v[0], &v[1], why, sizeof(why))) {
			perr(ps, ps->line, "%s", why);
			return;
		}
	}
	pol->cap[0] = v[0] == UINT64_MAX ? 0 : v[0];
	pol->cap[1] = v[1] == UINT64_MAX ? 0 : v[1];
}

static void parse_depth(struct parser *ps, struct policy *pol, char **w, int n)
{
	uint64_t d;

	if (pol->depth_line) {
		perr(ps, ps->line, "depth given twice (first on line %u)", pol->depth_line);
		return;
	}
	pol->depth_line = ps->line;
	if (n != 1 || parse_u64(w[0], &d) || !d || d > DEPTH_MAX) {
		perr(ps, ps->line, "depth needs one number from 1 to %d", DEPTH_MAX);
		return;
	}
	pol->depth = d;
}

static void parse_class(struct parser *ps, struct policy *pol, char **w, int n)
{
	struct pclass *c, *old;
	char why[256];
	int i;

	if (!n) {
		perr(ps, ps->line, "class needs a name: class <name> [<key>=<value>...]");
		return;
	}
	if (class_name_check(w[0], why, sizeof(why))) {
		perr(ps, ps->line, "%s", why);
		return;
	}
	old = find_class(pol->classes, pol->nclasses, w[0]);
	if (old) {
		perr(ps, ps->line, "class %s declared twice (first on line %u)", w[0], old->line);
		return;
	}
	pol->classes = xrealloc(pol->classes, (pol->nclasses + 1) * sizeof(*pol->classes));
	c = &pol->classes[pol->nclasses++];
	c->name = xstrdup(w[0]);
	c->line = ps->line;
	params_default(&c->p);
	for (i = 1; i < n; i++)
		if (params_word(&c->p, w[i], why, sizeof(why))) {
			perr(ps, ps->line, "%s", why);
			return;
		}
	if (params_check(&c->p, why, sizeof(why)))
		perr(ps, ps->line, "%s", why);
}

static void parse_rule(struct parser *ps, struct policy *pol, char **w, int n)
{
	struct prule *r;
	char why[320];
	size_t i;

	if (n != 2) {
		perr(ps, ps->line, "rule needs a pattern and a class: rule vm=<glob>|cgroup=<glob> <class>");
		return;
	}
	if (pattern_check(w[0], why, sizeof(why))) {
		perr(ps, ps->line, "%s", why);
		return;
	}
	for (i = 0; i < pol->nrules; i++)
		if (!strcmp(pol->rules[i].pattern, w[0])) {
			perr(ps, ps->line, "a rule for %s is already on line %u", w[0],
			     pol->rules[i].line);
			return;
		}
	pol->rules = xrealloc(pol->rules, (pol->nrules + 1) * sizeof(*pol->rules));
	r = &pol->rules[pol->nrules++];
	r->pattern = xstrdup(w[0]);
	r->cls = xstrdup(w[1]);
	r->line = ps->line;
}

/* Checks that need the whole file. */
static void policy_check(struct parser *ps, struct policy *pol)
{
	static const char * const what[2] = { "iops", "bps" };
	size_t i, k, named = 0;

	for (i = 0; i < pol->nrules; i++) {
		const struct prule *r = &pol->rules[i];

		if (strcmp(r->cls, "default") && !find_class(pol->classes, pol->nclasses, r->cls))
			perr(ps, r->line, "rule %s uses class '%s', which is not declared in the file",
			     r->pattern, r->cls);
	}
	for (i = 0; i < pol->nclasses; i++)
		named += strcmp(pol->classes[i].name, "default") != 0;
	if (named >= MAX_CLASSES)
		perr(ps, pol->classes[MAX_CLASSES - 1].line,
		     "too many classes (a volume has at most %d, default included)", MAX_CLASSES);
	if (pol->nrules > MAX_RULES)
		perr(ps, pol->rules[MAX_RULES].line, "too many rules (at most %d)", MAX_RULES);

	for (k = 0; k < 2; k++) {
		int key = param_find(k ? "res_bps" : "res_iops");
		uint64_t sum = 0;
		unsigned int first = 0;

		for (i = 0; i < pol->nclasses; i++) {
			sum += pol->classes[i].p.v[key];
			if (pol->classes[i].p.v[key] && !first)
				first = pol->classes[i].line;
		}
		if (sum && !pol->cap[k])
			perr(ps, first, "reservations need the volume's capacity: add a line 'capacity %s=<n>'",
			     what[k]);
		else if (sum > pol->cap[k])
			perr(ps, pol->cap_line, "reservations total res_%s=%llu, over the capacity %s=%llu",
			     what[k], (unsigned long long)sum, what[k],
			     (unsigned long long)pol->cap[k]);
	}
}

static int policy_parse(const char *path, struct policy *pol)
{
	struct parser ps = { .file = path };
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	char *line = NULL;
	size_t size = 0;

	memset(pol, 0, sizeof(*pol));
	pol->depth = DEPTH_DEFAULT;
	if (!f) {
		warn("cannot open %s", path);
		return -1;
	}
	if (f == stdin)
		ps.file = "<stdin>";
	while (getline(&line, &size, f) >= 0) {
		char *w[MAX_RULES], *p = line, *tok, *save = NULL;
		int n = 0;

		ps.line++;
		for (tok = strtok_r(p, BLANKS, &save); tok; tok = strtok_r(NULL, BLANKS, &save)) {
			if (tok[0] == '#' || n == (int)ARRAY_SIZE(w))
				break;
			w[n++] = tok;
		}
		if (!n)
			continue;
		if (!strcmp(w[0], "capacity"))
			parse_capacity(&ps, pol, w + 1, n - 1);
		else if (!strcmp(w[0], "depth"))
			parse_depth(&ps, pol, w + 1, n - 1);
		else if (!strcmp(w[0], "class"))
			parse_class(&ps, pol, w + 1, n - 1);
		else if (!strcmp(w[0], "rule"))
			parse_rule(&ps, pol, w + 1, n - 1);
		else
			perr(&ps, ps.line, "unknown directive '%s' (expected capacity, depth, class or rule)",
			     w[0]);
	}
	if (ferror(f))
		perr(&ps, ps.line, "read error: %s", strerror(errno));
	free(line);
	if (f != stdin)
		fclose(f);
	if (!ps.errors)
		policy_check(&ps, pol);
	if (ps.errors) {
		warnx("%s: %u error%s, nothing applied", ps.file, ps.errors,
		      ps.errors > 1 ? "s" : "");
		policy_free(pol);
		return -1;
	}
	/* The default class always exists: as the file says, else at the defaults. */
	if (!find_class(pol->classes, pol->nclasses, "default")) {
		pol->classes = xrealloc(pol->classes, (pol->nclasses + 1) * sizeof(*pol->classes));
		pol->classes[pol->nclasses].name = xstrdup("default");
		pol->classes[pol->nclasses].line = 0;
		params_default(&pol->classes[pol->nclasses].p);
		pol->nclasses++;
	}
	return 0;
}

/* ---- what the volume has ---- */

static int volume_policy(const struct vol *v, struct policy *cur)
{
	char *classes = NULL, *rules = NULL, *qos = NULL, *line, *save = NULL, why[256];
	int r = -1;

	memset(cur, 0, sizeof(*cur));
	if (vol_message(v, "class list", &classes) || vol_message(v, "rule list", &rules) ||
	    vol_message(v, "qos", &qos))
		goto out;
	for (line = strtok_r(classes, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *w, *p = line;
		struct pclass *c;

		cur->classes = xrealloc(cur->classes, (cur->nclasses + 1) * sizeof(*cur->classes));
		c = &cur->classes[cur->nclasses++];
		c->name = xstrdup(strsep(&p, " "));
		params_default(&c->p);
		while ((w = strsep(&p, " ")))
			if (*w && params_word(&c->p, w, why, sizeof(why))) {
				warnx("%s: cannot read 'class list' (%s): %s", v->name, c->name,
				      why);
				goto out;
			}
	}
	save = NULL;
	for (line = strtok_r(rules, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *p = line, *pattern;
		struct prule *pr;

		strsep(&p, " ");	/* index */
		pattern = strsep(&p, " ");
		if (!pattern || !p) {
			warnx("%s: cannot read 'rule list': '%s'", v->name, line);
			goto out;
		}
		cur->rules = xrealloc(cur->rules, (cur->nrules + 1) * sizeof(*cur->rules));
		pr = &cur->rules[cur->nrules++];
		pr->pattern = xstrdup(pattern);
		pr->cls = xstrdup(p);
	}
	{
		struct obj o;

		qos[strcspn(qos, "\n")] = '\0';
		obj_parse(qos, &o);
		/* "qos=on ..." has no kind word: the first pair is read as the kind. */
		cur->cap[0] = obj_u64(&o, "capacity_iops");
		cur->cap[1] = obj_u64(&o, "capacity_bps");
		cur->depth = obj_u64(&o, "depth");
		free(o.kv);
	}
	r = 0;
out:
	free(classes);
	free(rules);
	free(qos);
	if (r)
		policy_free(cur);
	return r;
}

/* ---- the plan ---- */

struct plan {
	char **sent;	/* as sent (escaped) */
	char **shown;	/* as printed */
	size_t n;
};

static void plan_add(struct plan *pl, const char *shown, const char *sent)
{
	pl->sent = xrealloc(pl->sent, (pl->n + 1) * sizeof(*pl->sent));
	pl->shown = xrealloc(pl->shown, (pl->n + 1) * sizeof(*pl->shown));
	pl->sent[pl->n] = xstrdup(sent ? sent : shown);
	pl->shown[pl->n] = xstrdup(shown);
	pl->n++;
}

static void plan_rule(struct plan *pl, const char *verb, const char *pattern, const char *cls)
{
	char *esc = dm_escape(pattern), *shown, *sent;

	xasprintf(&shown, "rule %s %s%s%s", verb, pattern, cls ? " " : "", cls ? cls : "");
	xasprintf(&sent, "rule %s %s%s%s", verb, esc, cls ? " " : "", cls ? cls : "");
	plan_add(pl, shown, sent);
	free(shown);
	free(sent);
	free(esc);
}

static void plan_capacity(struct plan *pl, const uint64_t *want, uint64_t *have, bool raise)
{
	struct buf b = {};
	size_t k;

	buf_add(&b, "capacity");
	for (k = 0; k < 2; k++)
		if (raise ? want[k] > have[k] : want[k] != have[k]) {
			buf_add(&b, " %s=%llu", k ? "bps" : "iops", (unsigned long long)want[k]);
			have[k] = want[k];
		}
	if (strcmp(b.s, "capacity"))
		plan_add(pl, b.s, NULL);
	buf_free(&b);
}

/* One "class set" with every key that differs. */
static void plan_class_set(struct plan *pl, const struct pclass *want, const struct pclass *have)
{
	struct buf b = {};
	size_t k;

	buf_add(&b, "class set %s", want->name);
	for (k = 0; k < nparam_keys; k++)
		if (want->p.v[k] != have->p.v[k]) {
			buf_add(&b, " ");
			params_format_key(&want->p, k, &b);
		}
	plan_add(pl, b.s, NULL);
	buf_free(&b);
}

static bool class_differs(const struct pclass *a, const struct pclass *b)
{
	return memcmp(a->p.v, b->p.v, nparam_keys * sizeof(a->p.v[0])) != 0;
}

static bool res_grows(const struct pclass *want, const struct pclass *have)
{
	int i = param_find("res_iops"), b = param_find("res_bps");

	return want->p.v[i] > have->p.v[i] || want->p.v[b] > have->p.v[b];
}

static void plan_make(const struct policy *want, struct policy *have, struct plan *pl)
{
	size_t m = have->nrules, n = want->nrules, i, j;
	int *target = xcalloc(m, sizeof(int)), *len = xcalloc(m, sizeof(int));
	int *prev = xcalloc(m, sizeof(int));
	bool *keep = xcalloc(m, sizeof(bool));
	const struct prule **list = xcalloc(n + m + 1, sizeof(*list));
	size_t nlist = 0;
	int best = -1;

	/* 1. capacity up */
	plan_capacity(pl, want->cap, have->cap, true);

	/*
	 * 2. The rules already right (same pattern and class) that can stay:
	 * the most of them that are already in the file's order (a longest
	 * increasing subsequence); the others go.
	 */
	for (j = 0; j < m; j++) {
		target[j] = -1;
		for (i = 0; i < n; i++)
			if (!strcmp(have->rules[j].pattern, want->rules[i].pattern) &&
			    !strcmp(have->rules[j].cls, want->rules[i].cls))
				target[j] = i;
		len[j] = target[j] < 0 ? 0 : 1;
		prev[j] = -1;
		for (i = 0; target[j] >= 0 && i < j; i++)
			if (target[i] >= 0 && target[i] < target[j] && len[i] + 1 > len[j]) {
				len[j] = len[i] + 1;
				prev[j] = i;
			}
		if (len[j] && (best < 0 || len[j] > len[best]))
			best = j;
	}
	for (; best >= 0; best = prev[best])
		keep[best] = true;
	for (j = 0; j < m; j++)
		if (!keep[j])
			plan_rule(pl, "delete", have->rules[j].pattern, NULL);
		else
			list[nlist++] = &have->rules[j];

	/* 3. classes not in the file; no rule uses them now */
	for (j = 0; j < have->nclasses; j++)
		if (strcmp(have->classes[j].name, "default") &&
		    !find_class(want->classes, want->nclasses, have->classes[j].name)) {
			char *s;

			xasprintf(&s, "class delete %s", have->classes[j].name);
			plan_add(pl, s, NULL);
			free(s);
		}

	/* 4. changes that free reservations; 5. creations and the other changes */
	for (int pass = 0; pass < 2; pass++)
		for (i = 0; i < want->nclasses; i++) {
			const struct pclass *w = &want->classes[i];
			const struct pclass *h = find_class(have->classes, have->nclasses, w->name);

			if (h && class_differs(w, h) && res_grows(w, h) == !!pass)
				plan_class_set(pl, w, h);
			if (!h && pass) {
				struct buf b = {}, p = {};

				buf_add(&b, "class create %s", w->name);
				params_format(&w->p, &p);
				if (p.len)
					buf_add(&b, " %s", p.s);
				buf_free(&p);
				plan_add(pl, b.s, NULL);
				buf_free(&b);
			}
		}

	/* 6. the file's rules, in its order, around those kept */
	for (i = 0; i < n; i++) {
		const struct prule *r = &want->rules[i];
		char idx[32];

		if (i < nlist && !strcmp(list[i]->pattern, r->pattern))
			continue;
		if (i == nlist) {
			plan_rule(pl, "add", r->pattern, r->cls);
		} else {
			snprintf(idx, sizeof(idx), "insert %zu", i);
			plan_rule(pl, idx, r->pattern, r->cls);
		}
		memmove(&list[i + 1], &list[i], (nlist - i) * sizeof(*list));
		list[i] = r;
		nlist++;
	}

	/* 7. capacity and depth as the file says */
	plan_capacity(pl, want->cap, have->cap, false);
	if (want->depth != have->depth) {
		char *s;

		xasprintf(&s, "depth %llu", (unsigned long long)want->depth);
		plan_add(pl, s, NULL);
		free(s);
	}
	free(target);
	free(len);
	free(prev);
	free(keep);
	free(list);
}

DMVIO_CMD(cmd_apply)
{
	struct policy want, have;
	struct plan pl = {};
	struct vol v;
	size_t i;
	int r = -1;

	(void)cmd;
	(void)argc;
	if (policy_parse(argv[1], &want))
		return -1;
	if (vol_open(argv[0], &v)) {
		policy_free(&want);
		return -1;
	}
	if (volume_policy(&v, &have))
		goto out;
	plan_make(&want, &have, &pl);
	if (!pl.n)
		printf("%s: nothing to do\n", v.name);
	for (i = 0; i < pl.n; i++) {
		if (!opts.dry_run && vol_message(&v, pl.sent[i], NULL)) {
			warnx("%s: stopped after %zu of %zu changes", v.name, i, pl.n);
			goto out_plan;
		}
		printf("%s: %s\n", v.name, pl.shown[i]);
	}
	if (opts.dry_run && pl.n)
		printf("%s: dry run, nothing sent\n", v.name);
	r = 0;
out_plan:
	for (i = 0; i < pl.n; i++) {
		free(pl.sent[i]);
		free(pl.shown[i]);
	}
	free(pl.sent);
	free(pl.shown);
	policy_free(&have);
out:
	policy_free(&want);
	vol_close(&v);
	return r;
}
