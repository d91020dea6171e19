// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vio: table line parser.
 *
 * Grammar (every count covers exactly the words of its group):
 *
 *   vio <layout> <#layout args> [<layout arg>]...
 *       <#arrays> [<array dev> <array offset>]...
 *       [<#feature args> [<feature arg>]...]
 *
 *   layout:  linear                      concatenation, no arguments
 *            stripe <chunk_sectors>      chunk: a power of two, in sectors
 *            mirror [<key> <value>]...   every array holds the whole volume;
 *                                        keys, each at most once:
 *              region_size <sectors>     resync unit, a power of two
 *                                        (default 2048: 1 MiB)
 *              selector <name>           round-robin, least-outstanding or
 *                                        service-time (the default)
 *              weights <w0>,<w1>,...     one per array, 1 to 1000
 *   arrays:  1 to DM_VIO_MAX_ARRAYS (mirror: 2 to DM_VIO_MIRROR_MAX_LEGS);
 *            offset in 512-byte sectors
 *   feature: ignore_discard              do not advertise discard
 *            tag <name>                  every bio is the tenant <name>
 *            nosync                      mirror: the arrays are known to
 *                                        hold the same data, skip the
 *                                        initial resync
 *            fabric <#specs> <up spec> <port spec>...
 *                                        the simulated fabric, on; #specs
 *                                        is 2 (one spec for every port)
 *                                        or 1 + #arrays (see pcie.c for
 *                                        a spec's grammar)
 *            fabric_host                 mirrored writes cross the
 *                                        upstream link once per leg
 *
 * Only the syntax is checked here; whether the numbers fit the devices is
 * the geometry's business (layout.c), once the devices are open.
 */
#include <linux/device-mapper.h>
#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/string.h>

#include "compat.h"
#include "selector.h"
#include "table.h"
#include "tag.h"

int vio_err(struct vio_err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}
EXPORT_SYMBOL_IF_KUNIT(vio_err);

static const char * const vio_layout_names[] = {
	[VIO_LAYOUT_LINEAR] = DM_VIO_LAYOUT_LINEAR,
	[VIO_LAYOUT_STRIPE] = DM_VIO_LAYOUT_STRIPE,
	[VIO_LAYOUT_MIRROR] = DM_VIO_LAYOUT_MIRROR,
};

const char *vio_layout_name(enum vio_layout layout)
{
	return vio_layout_names[layout];
}
EXPORT_SYMBOL_IF_KUNIT(vio_layout_name);

/*
 * A count or size: decimal digits only, no sign, no junk. The caller names
 * what is being read so the error can quote the offending word.
 */
static int vio_parse_uint(const char *word, unsigned int min, unsigned int max,
			  unsigned int *out)
{
	unsigned int v;

	if (!word || !isdigit(word[0]) || kstrtouint(word, 10, &v))
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static int vio_parse_sector(const char *word, sector_t *out)
{
	unsigned long long v;

	if (!word || !isdigit(word[0]) || kstrtoull(word, 10, &v))
		return -EINVAL;
	*out = v;
	return 0;
}

/* Read "<count>" and check that many words follow. */
static int vio_parse_count(struct dm_arg_set *as, const char *what,
			   unsigned int min, unsigned int max,
			   unsigned int *count, struct vio_err *err)
{
	const char *word = dm_shift_arg(as);

	if (!word)
		return vio_err(err, "Missing number of %s", what);
	if (vio_parse_uint(word, min, max, count))
		return vio_err(err, "Invalid number of %s '%s' (expected %u to %u)",
			       what, word, min, max);
	return 0;
}

/* "<w0>,<w1>,...": one weight per leg, checked against the leg count later. */
static int vio_parse_weights(const char *word, struct vio_table_args *args,
			     unsigned int *nr, struct vio_err *err)
{
	char buf[8 * DM_VIO_MIRROR_MAX_LEGS];
	char *s = buf, *w;

	if (strscpy(buf, word, sizeof(buf)) < 0)
		return vio_err(err, "Mirror weights '%.40s' are too long", word);
	*nr = 0;
	while ((w = strsep(&s, ","))) {
		if (*nr == DM_VIO_MIRROR_MAX_LEGS)
			return vio_err(err, "Mirror weights '%s': more than %u",
				       word, DM_VIO_MIRROR_MAX_LEGS);
		if (vio_parse_uint(w, 1, VIO_LEG_WEIGHT_MAX, &args->weights[*nr]))
			return vio_err(err, "Mirror weight '%s' in '%s' is not 1 to %u",
				       w, word, VIO_LEG_WEIGHT_MAX);
		(*nr)++;
	}
	return 0;
}

/* The mirror layout's key-value pairs, each key at most once. */
static int vio_parse_mirror(struct dm_arg_set *as, unsigned int nargs,
			    struct vio_table_args *args, struct vio_err *err)
{
	unsigned int nr_weights = 0, i;
	bool seen[3] = {};
	int r;

	args->region_sectors = VIO_REGION_DEFAULT;
	args->selector = VIO_SEL_SERVICE_TIME;
	for (i = 0; i < DM_VIO_MIRROR_MAX_LEGS; i++)
		args->weights[i] = VIO_LEG_WEIGHT_DEFAULT;

	if (nargs % 2)
		return vio_err(err, "Mirror arguments come in <key> <value> pairs, got %u words",
			       nargs);
	for (; nargs; nargs -= 2) {
		const char *key = dm_shift_arg(as);
		const char *val = dm_shift_arg(as);
		unsigned int k;

		if (!strcmp(key, DM_VIO_MIRROR_REGION_SIZE)) {
			k = 0;
			if (vio_parse_uint(val, VIO_REGION_MIN, VIO_REGION_MAX,
					   &args->region_sectors) ||
			    !is_power_of_2(args->region_sectors))
				return vio_err(err,
					       "Invalid region_size '%s' (sectors, a power of two from %u to %u)",
					       val, VIO_REGION_MIN, VIO_REGION_MAX);
		} else if (!strcmp(key, DM_VIO_MIRROR_SELECTOR)) {
			k = 1;
			r = vio_selector_find(val);
			if (r < 0)
				return vio_err(err,
					       "Unknown selector '%.40s' (expected round-robin, least-outstanding or service-time)",
					       val);
			args->selector = r;
		} else if (!strcmp(key, DM_VIO_MIRROR_WEIGHTS)) {
			k = 2;
			r = vio_parse_weights(val, args, &nr_weights, err);
			if (r)
				return r;
		} else {
			return vio_err(err,
				       "Unknown mirror argument '%.40s' (expected region_size, selector or weights)",
				       key);
		}
		if (seen[k])
			return vio_err(err, "Mirror argument '%s' given twice", key);
		seen[k] = true;
	}
	args->nr_weights = nr_weights;
	return 0;
}

static int vio_parse_layout(struct dm_arg_set *as, struct vio_table_args *args,
			    struct vio_err *err)
{
	const char *name = dm_shift_arg(as);
	const char *word;
	unsigned int nargs;
	int r;

	if (!name)
		return vio_err(err, "Missing layout (linear, stripe or mirror)");
	if (!strcmp(name, DM_VIO_LAYOUT_LINEAR)) {
		args->layout = VIO_LAYOUT_LINEAR;
	} else if (!strcmp(name, DM_VIO_LAYOUT_STRIPE)) {
		args->layout = VIO_LAYOUT_STRIPE;
	} else if (!strcmp(name, DM_VIO_LAYOUT_MIRROR)) {
		args->layout = VIO_LAYOUT_MIRROR;
	} else {
		return vio_err(err, "Unknown layout '%s' (expected linear, stripe or mirror)",
			       name);
	}

	r = vio_parse_count(as, "layout arguments", 0,
			    args->layout == VIO_LAYOUT_MIRROR ? 6 : 1, &nargs, err);
	if (r)
		return r;
	if (args->layout == VIO_LAYOUT_MIRROR) {
		if (as->argc < nargs)
			return vio_err(err, "Expected %u mirror arguments, got %u",
				       nargs, as->argc);
		return vio_parse_mirror(as, nargs, args, err);
	}

	if (args->layout == VIO_LAYOUT_LINEAR) {
		if (nargs)
			return vio_err(err, "Layout linear takes no arguments, got %u",
				       nargs);
		return 0;
	}

	if (nargs != 1)
		return vio_err(err, "Layout stripe takes 1 argument (<chunk_sectors>), got %u",
			       nargs);
	word = dm_shift_arg(as);
	if (!word)
		return vio_err(err, "Missing stripe chunk size");
	r = vio_parse_uint(word, 1, U32_MAX, &args->chunk_sectors);
	if (r)
		return vio_err(err, "Invalid stripe chunk size '%s' (sectors, 1 to %u)",
			       word, U32_MAX);
	if (!is_power_of_2(args->chunk_sectors))
		return vio_err(err, "Stripe chunk size %u is not a power of two",
			       args->chunk_sectors);
	return 0;
}

static int vio_parse_arrays(struct dm_arg_set *as, struct vio_table_args *args,
			    struct vio_err *err)
{
	unsigned int i;
	int r;

	if (args->layout == VIO_LAYOUT_MIRROR)
		r = vio_parse_count(as, "mirror legs", DM_VIO_MIRROR_MIN_LEGS,
				    DM_VIO_MIRROR_MAX_LEGS, &args->nr_arrays, err);
	else
		r = vio_parse_count(as, "arrays", 1, DM_VIO_MAX_ARRAYS,
				    &args->nr_arrays, err);
	if (r)
		return r;
	if (args->nr_weights && args->nr_weights != args->nr_arrays)
		return vio_err(err, "Mirror weights: %u given for %u legs",
			       args->nr_weights, args->nr_arrays);
	if (as->argc < 2 * args->nr_arrays)
		return vio_err(err, "Expected %u arrays (<dev> <offset> pairs), got %u words",
			       args->nr_arrays, as->argc);

	for (i = 0; i < args->nr_arrays; i++) {
		struct vio_array_args *a = &args->arrays[i];
		const char *off;

		a->path = dm_shift_arg(as);
		off = dm_shift_arg(as);
		if (!a->path[0])
			return vio_err(err, "Array %u: empty device name", i);
		if (vio_parse_sector(off, &a->offset))
			return vio_err(err, "Array %u (%s): invalid offset '%s' (sectors)",
				       i, a->path, off);
	}
	return 0;
}

/* A static tag: what a VM name may be, printable and without spaces. */
static int vio_parse_tag(const char *word, struct vio_table_args *args,
			 struct vio_err *err)
{
	size_t i, len = strlen(word);

	if (!len || len >= sizeof(args->tag))
		return vio_err(err, "Tag '%.40s' must be 1 to %zu characters",
			       word, sizeof(args->tag) - 1);
	for (i = 0; i < len; i++)
		if (!vio_tag_char_ok(word[i]))
			return vio_err(err, "Tag '%.40s' is not printable ASCII",
				       word);
	if (args->features & VIO_F_TAG)
		return vio_err(err, "Feature 'tag' given twice");
	memcpy(args->tag, word, len + 1);
	return 0;
}

/* "fabric <#specs> <up> <port>...", after the word "fabric". */
static int vio_parse_fabric(struct dm_arg_set *as, unsigned int *nargs,
			    struct vio_table_args *args, struct vio_err *err)
{
	unsigned int nspecs, i;
	const char *word;
	int r;

	if (!*nargs)
		return vio_err(err,
			       "Feature 'fabric' needs <#specs> <upstream spec> <port spec>...");
	word = dm_shift_arg(as);
	(*nargs)--;
	if (vio_parse_uint(word, 2, 1 + args->nr_arrays, &nspecs) ||
	    (nspecs != 2 && nspecs != 1 + args->nr_arrays))
		return args->nr_arrays == 1 ?
		       vio_err(err,
			       "Feature 'fabric': invalid number of link specs '%s' (expected 2)",
			       word) :
		       vio_err(err,
			       "Feature 'fabric': invalid number of link specs '%s' (expected 2 or %u)",
			       word, 1 + args->nr_arrays);
	if (*nargs < nspecs)
		return vio_err(err, "Feature 'fabric': expected %u link specs, got %u",
			       nspecs, *nargs);
	for (i = 0; i < nspecs; i++) {
		word = dm_shift_arg(as);
		(*nargs)--;
		if (!i)
			r = vio_link_parse(word, &args->link_up, false, err);
		else
			r = vio_link_parse(word, &args->link_port[i - 1], true, err);
		if (r)
			return r;
	}
	for (i = nspecs - 1; i < args->nr_arrays; i++)
		args->link_port[i] = args->link_port[nspecs - 2];
	return 0;
}

static int vio_parse_features(struct dm_arg_set *as,
			      struct vio_table_args *args, struct vio_err *err)
{
	unsigned int nargs;
	int r;

	if (!as->argc)
		return 0;	/* the feature group is optional */

	r = vio_parse_count(as, "feature arguments", 0, 8 + 2 + DM_VIO_MAX_ARRAYS,
			    &nargs, err);
	if (r)
		return r;
	if (as->argc < nargs)
		return vio_err(err, "Expected %u feature arguments, got %u",
			       nargs, as->argc);

	while (nargs--) {
		const char *word = dm_shift_arg(as);
		unsigned long flag;

		if (!strcmp(word, DM_VIO_FEATURE_IGNORE_DISCARD)) {
			flag = VIO_F_IGNORE_DISCARD;
		} else if (!strcmp(word, DM_VIO_FEATURE_FABRIC)) {
			flag = VIO_F_FABRIC;
			if (args->features & flag)
				return vio_err(err, "Feature 'fabric' given twice");
			r = vio_parse_fabric(as, &nargs, args, err);
			if (r)
				return r;
		} else if (!strcmp(word, DM_VIO_FEATURE_FABRIC_HOST)) {
			flag = VIO_F_FABRIC_HOST;
		} else if (!strcmp(word, DM_VIO_FEATURE_NOSYNC)) {
			flag = VIO_F_NOSYNC;
			if (args->layout != VIO_LAYOUT_MIRROR)
				return vio_err(err,
					       "Feature 'nosync' applies to the mirror layout only");
		} else if (!strcmp(word, DM_VIO_FEATURE_TAG)) {
			flag = VIO_F_TAG;
			if (!nargs--)
				return vio_err(err, "Feature 'tag' needs a name: tag <name>");
			r = vio_parse_tag(dm_shift_arg(as), args, err);
			if (r)
				return r;
		} else {
			return vio_err(err, "Unknown feature '%s'", word);
		}

		if (args->features & flag)
			return vio_err(err, "Feature '%s' given twice", word);
		args->features |= flag;
	}
	return 0;
}

/**
 * vio_parse_table() - parse a vio table line into @args
 * @argc: number of words after the target name
 * @argv: the words; @args keeps pointers into them
 * @args: result, fully written on success
 * @err: on failure, a message naming the offending word
 *
 * Return: 0, or -EINVAL with @err set. Never opens a device.
 */
int vio_parse_table(unsigned int argc, char **argv,
		    struct vio_table_args *args, struct vio_err *err)
{
	struct dm_arg_set as = { .argc = argc, .argv = argv };
	unsigned int i;
	int r;

	memset(args, 0, sizeof(*args));
	vio_link_params_default(&args->link_up);
	for (i = 0; i < DM_VIO_MAX_ARRAYS; i++)
		vio_link_params_default(&args->link_port[i]);

	r = vio_parse_layout(&as, args, err);
	if (r)
		return r;
	r = vio_parse_arrays(&as, args, err);
	if (r)
		return r;
	r = vio_parse_features(&as, args, err);
	if (r)
		return r;
	if (as.argc)
		return vio_err(err, "Unexpected argument '%s' after the feature group",
			       as.argv[0]);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vio_parse_table);
