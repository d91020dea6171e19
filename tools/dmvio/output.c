// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmvio: tables with libsmartcols.
 *
 * A row is a list of key=value strings (usually a "stats" object plus
 * derived values); a column shows one key, its name being the key in
 * upper case. Besides the columns a table knows, -o accepts any key the
 * rows have, so keys a newer module appends can be shown too.
 */
#include <ctype.h>
#include <err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libsmartcols.h>

#include "dmvio.h"

void row_set(struct row *r, const char *key, const char *val)
{
	unsigned int i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->kv[i].key, key)) {
			free(r->kv[i].val);
			r->kv[i].val = xstrdup(val);
			return;
		}
	if (r->n == r->size) {
		r->size = r->size ? 2 * r->size : 32;
		r->kv = xrealloc(r->kv, r->size * sizeof(*r->kv));
	}
	r->kv[r->n].key = xstrdup(key);
	r->kv[r->n].val = xstrdup(val);
	r->n++;
}

void row_setf(struct row *r, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		err(EXIT_FAILURE, "cannot allocate memory");
	va_end(ap);
	row_set(r, key, s);
	free(s);
}

void row_add_obj(struct row *r, const struct obj *o)
{
	unsigned int i;

	for (i = 0; i < o->nkv; i++)
		row_set(r, o->kv[i].key, o->kv[i].val);
}

const char *row_get(const struct row *r, const char *key)
{
	unsigned int i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->kv[i].key, key))
			return r->kv[i].val;
	return NULL;
}

void rows_free(struct row *rows, size_t n)
{
	size_t i;
	unsigned int k;

	for (i = 0; i < n; i++) {
		for (k = 0; k < rows[i].n; k++) {
			free(rows[i].kv[k].key);
			free(rows[i].kv[k].val);
		}
		free(rows[i].kv);
	}
	free(rows);
}

char *size_to_human(uint64_t bytes)
{
	static const char units[] = "BKMGTPE";
	unsigned int u = 0;
	double d = bytes;
	char *s;
	size_t len;

	while (d >= 1024 && u < sizeof(units) - 2) {
		d /= 1024;
		u++;
	}
	xasprintf(&s, u ? "%.1f%c" : "%.0f%c", d, units[u]);
	/* "4.0K" -> "4K" */
	len = strlen(s);
	if (len > 3 && !strncmp(s + len - 3, ".0", 2))
		memmove(s + len - 3, s + len - 1, 2);
	return s;
}

static bool is_number(const char *s)
{
	bool digits = false, dot = false;

	if (!s || !*s)
		return false;
	for (; *s; s++) {
		if (isdigit((unsigned char)*s))
			digits = true;
		else if (*s == '.' && !dot)
			dot = true;
		else
			return false;
	}
	return digits;
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = tolower((unsigned char)*s);
}

struct outcol {
	char *name;	/* as shown */
	char *key;	/* in the rows */
	enum col_type type;
};

/* A column by name: one the table knows, else a key some row has. */
static int find_column(const struct table_def *def, const char *name,
		       const struct row *rows, size_t nrows, struct outcol *c)
{
	size_t i;
	bool found = false, numeric = true;

	for (i = 0; i < def->ncols; i++)
		if (!strcasecmp(def->cols[i].name, name)) {
			c->name = xstrdup(def->cols[i].name);
			c->key = xstrdup(def->cols[i].name);
			lower(c->key);
			c->type = def->cols[i].type;
			return 0;
		}
	c->key = xstrdup(name);
	lower(c->key);
	for (i = 0; i < nrows; i++) {
		const char *v = row_get(&rows[i], c->key);

		if (v) {
			found = true;
			numeric &= is_number(v);
		}
	}
	if (!found) {
		free(c->key);
		warnx("unknown column: %s", name);
		return -1;
	}
	c->name = xstrdup(name);
	for (char *p = c->name; *p; p++)
		*p = toupper((unsigned char)*p);
	c->type = numeric ? COL_NUM : COL_STR;
	return 0;
}

int table_print(const struct table_def *def, const char *defaults,
		struct row *rows, size_t nrows)
{
	struct libscols_table *tb;
	struct outcol *cols = NULL;
	size_t ncols = 0, i, k;
	char *spec, *save = NULL, *name;
	int r = -1;

	if (!defaults)
		defaults = def->defaults;
	if (!opts.output)
		spec = xstrdup(defaults);
	else if (opts.output[0] == '+')
		xasprintf(&spec, "%s,%s", defaults, opts.output + 1);
	else
		spec = xstrdup(opts.output);
	for (name = strtok_r(spec, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		cols = xrealloc(cols, (ncols + 1) * sizeof(*cols));
		if (find_column(def, name, rows, nrows, &cols[ncols]))
			goto out;
		ncols++;
	}
	if (!ncols) {
		warnx("no output columns");
		goto out;
	}

	tb = scols_new_table();
	if (!tb)
		err(EXIT_FAILURE, "cannot create a table");
	scols_table_enable_json(tb, opts.json);
	scols_table_enable_raw(tb, opts.raw);
	scols_table_enable_noheadings(tb, opts.noheadings);
	scols_table_set_name(tb, def->name);
	for (k = 0; k < ncols; k++) {
		bool num = cols[k].type != COL_STR;
		struct libscols_column *cl;

		cl = scols_table_new_column(tb, cols[k].name, 1, num ? SCOLS_FL_RIGHT : 0);
		if (!cl)
			err(EXIT_FAILURE, "cannot create a column");
		if (num)
			scols_column_set_json_type(cl, SCOLS_JSON_NUMBER);
	}
	for (i = 0; i < nrows; i++) {
		struct libscols_line *ln = scols_table_new_line(tb, NULL);

		if (!ln)
			err(EXIT_FAILURE, "cannot create a table line");
		for (k = 0; k < ncols; k++) {
			const char *v = row_get(&rows[i], cols[k].key);
			char *human = NULL;
			uint64_t n;

			if (cols[k].type != COL_STR && !is_number(v))
				v = NULL;	/* "-" or missing: null in JSON */
			if (v && cols[k].type == COL_BYTES && !opts.bytes && !opts.json &&
			    !parse_u64(v, &n))
				v = human = size_to_human(n);
			if (!v && !opts.json)
				v = "-";
			if (v && scols_line_set_data(ln, k, v))
				err(EXIT_FAILURE, "cannot set table data");
			free(human);
		}
	}
	scols_print_table(tb);
	scols_unref_table(tb);
	r = 0;
out:
	for (k = 0; k < ncols; k++) {
		free(cols[k].name);
		free(cols[k].key);
	}
	free(cols);
	free(spec);
	return r;
}

void table_help_columns(const struct table_def *def)
{
	size_t i;

	for (i = 0; i < def->ncols; i++)
		printf(" %16s  %s\n", def->cols[i].name, def->cols[i].help);
}
