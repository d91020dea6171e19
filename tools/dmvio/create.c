// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmvio create: a table line from a short description.
 *
 * The size follows the rules of dm-vio.rst ("Sizes"): a mirror is as
 * large as its smallest leg, a linear volume the sum of its arrays, a
 * stripe as many whole rows as its smallest array holds; everything in
 * whole logical blocks of the largest block size among the devices.
 */
#include <ctype.h>
#include <err.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "dmvio.h"

#define CHUNK_DEFAULT		(64 << 10)
#define REGION_MIN		8		/* sectors */
#define REGION_MAX		DM_VIO_MIRROR_REGION_MAX
#define TAG_MAX			DM_VIO_TAG_MAX
#define LEG_WEIGHT_MAX		DM_VIO_LEG_WEIGHT_MAX

struct device {
	const char *path;
	unsigned int major, minor;
	uint64_t sectors;	/* after the offset, whole blocks */
	unsigned int block;	/* logical block size, sectors */
};

static int device_probe(const char *path, uint64_t offset, struct device *d)
{
	unsigned long long bytes;
	struct stat st;
	int fd, bsz;

	d->path = path;
	if (stat(path, &st)) {
		warn("cannot access %s", path);
		return -1;
	}
	if (!S_ISBLK(st.st_mode)) {
		warnx("%s: not a block device", path);
		return -1;
	}
	d->major = major(st.st_rdev);
	d->minor = minor(st.st_rdev);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		warn("cannot open %s", path);
		return -1;
	}
	if (ioctl(fd, BLKGETSIZE64, &bytes) || ioctl(fd, BLKSSZGET, &bsz)) {
		warn("%s: cannot read its size", path);
		close(fd);
		return -1;
	}
	close(fd);
	d->block = bsz / 512;
	if (offset % d->block) {
		warnx("%s: the offset, %llu sectors, is not a multiple of its %d-byte blocks",
		      path, (unsigned long long)offset, bsz);
		return -1;
	}
	if (bytes / 512 <= offset) {
		warnx("%s: %llu sectors, nothing left after the offset of %llu", path,
		      bytes / 512, (unsigned long long)offset);
		return -1;
	}
	d->sectors = bytes / 512 - offset;
	return 0;
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static int check_tag(const char *tag)
{
	size_t i, len = strlen(tag);

	if (!len || len > TAG_MAX) {
		warnx("invalid tag '%s' (1 to %d printable characters)", tag, TAG_MAX);
		return -1;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)tag[i] <= ' ' || (unsigned char)tag[i] >= 0x7f) {
			warnx("invalid tag '%s': printable ASCII only, no spaces", tag);
			return -1;
		}
	return 0;
}

/* --weights: one weight per leg, 1 to 1000. */
static int check_weights(const char *w, unsigned int legs)
{
	char *copy = xstrdup(w), *save = NULL, *t;
	unsigned int n = 0;
	uint64_t v;
	int r = 0;

	for (t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save), n++)
		if (parse_u64(t, &v) || !v || v > LEG_WEIGHT_MAX) {
			warnx("invalid weight '%s' (expected 1 to %d)", t, LEG_WEIGHT_MAX);
			r = -1;
			break;
		}
	if (!r && (n != legs || w[strlen(w) - 1] == ',' || w[0] == ',' || strstr(w, ",,"))) {
		warnx("--weights: expected %u weights separated by commas, got '%s'", legs, w);
		r = -1;
	}
	free(copy);
	return r;
}

static int check_options(const struct dmvio_cmd *cmd, const char *layout, unsigned int n)
{
	bool mirror = !strcmp(layout, DM_VIO_LAYOUT_MIRROR);
	bool stripe = !strcmp(layout, DM_VIO_LAYOUT_STRIPE);
	unsigned int min = mirror ? DM_VIO_MIRROR_MIN_LEGS : 1;
	unsigned int max = mirror ? DM_VIO_MIRROR_MAX_LEGS : DM_VIO_MAX_ARRAYS;

	if (!mirror && !stripe && strcmp(layout, DM_VIO_LAYOUT_LINEAR))
		usage_error(cmd, "unknown layout '%s' (expected linear, stripe or mirror)", layout);
	if (n < min || n > max)
		usage_error(cmd, "a %s volume takes %u to %u devices, got %u", layout, min, max, n);
	if (opts.chunk && !stripe)
		usage_error(cmd, "--chunk applies to stripe volumes only");
	if (!mirror && (opts.selector || opts.region || opts.weights || opts.nosync))
		usage_error(cmd, "--selector, --region-size, --weights and --nosync apply to mirror volumes only");
	if (opts.fabric_host && !opts.nfabric)
		usage_error(cmd, "--fabric-host needs --fabric");
	if (opts.nfabric && opts.nfabric != 2 && opts.nfabric != n + 1)
		usage_error(cmd, "--fabric takes an upstream spec, then one port spec for all arrays or one per array (2 or %u specs), got %u",
			    n + 1, opts.nfabric);
	if (opts.selector && selector_check(opts.selector))
		return -1;
	if (opts.tag && check_tag(opts.tag))
		return -1;
	if (opts.weights && check_weights(opts.weights, n))
		return -1;
	if (opts.region && (!is_pow2(opts.region / 512) || opts.region / 512 < REGION_MIN ||
			    opts.region / 512 > REGION_MAX)) {
		warnx("invalid region size: a power of two from 4K to 2G");
		return -1;
	}
	if (opts.chunk && !is_pow2(opts.chunk)) {
		warnx("invalid chunk: a power of two, like 64K");
		return -1;
	}
	return 0;
}

/* The largest size the devices allow, and checks of a given --size. */
static int volume_size(const char *layout, struct device *d, unsigned int n,
		       uint64_t chunk, uint64_t *len)
{
	uint64_t max = 0, min = UINT64_MAX, before_last = 0, want = opts.size / 512;
	unsigned int block = 1, i;

	for (i = 0; i < n; i++)
		if (d[i].block > block)
			block = d[i].block;
	for (i = 0; i < n; i++) {
		d[i].sectors -= d[i].sectors % block;
		if (!d[i].sectors) {
			warnx("%s: smaller than one %u-byte block after the offset", d[i].path,
			      block * 512);
			return -1;
		}
		if (d[i].sectors < min)
			min = d[i].sectors;
		if (i + 1 < n)
			before_last += d[i].sectors;
		max += d[i].sectors;
	}
	if (!strcmp(layout, DM_VIO_LAYOUT_MIRROR)) {
		max = min;
	} else if (!strcmp(layout, DM_VIO_LAYOUT_STRIPE)) {
		if (chunk < block) {
			warnx("the chunk, %llu bytes, is smaller than a %u-byte block",
			      (unsigned long long)chunk * 512, block * 512);
			return -1;
		}
		max = min / chunk * chunk * n;
		if (!max) {
			warnx("the smallest device holds no whole %lluK chunk",
			      (unsigned long long)chunk / 2);
			return -1;
		}
	}
	if (!want) {
		*len = max;
		return 0;
	}
	if (want % block) {
		warnx("--size: not a multiple of the %u-byte block size", block * 512);
		return -1;
	}
	if (want > max) {
		char *h = size_to_human(max * 512);

		warnx("--size: the devices allow at most %llu sectors (%s)",
		      (unsigned long long)max, h);
		free(h);
		return -1;
	}
	if (!strcmp(layout, DM_VIO_LAYOUT_STRIPE) && want % (chunk * n)) {
		warnx("--size: a stripe is whole rows of %u x %lluK",
		      n, (unsigned long long)chunk / 2);
		return -1;
	}
	if (!strcmp(layout, DM_VIO_LAYOUT_LINEAR) && want <= before_last) {
		warnx("--size: too small to reach the last device (more than %llu sectors needed)",
		      (unsigned long long)before_last);
		return -1;
	}
	*len = want;
	return 0;
}

DMVIO_CMD(cmd_create)
{
	const char *name = argv[0], *layout = argv[1];
	unsigned int n = argc - 2, i, pairs = 0, nfeat = 0;
	uint64_t chunk = (opts.chunk ? opts.chunk : CHUNK_DEFAULT) / 512, len;
	uint64_t offset = opts.offset / 512;
	struct buf params = {}, feat = {};
	struct device *d;
	struct vol v;
	int r = -1;

	if (strchr(name, '/') || strlen(name) >= sizeof(v.name) || !*name)
		usage_error(cmd, "invalid volume name '%s'", name);
	if (check_options(cmd, layout, n))
		return -1;
	if (vol_exists(name)) {
		warnx("cannot create %s: a device-mapper device of that name exists", name);
		return -1;
	}
	d = xcalloc(n, sizeof(*d));
	for (i = 0; i < n; i++)
		if (device_probe(argv[2 + i], offset, &d[i]))
			goto out;
	if (volume_size(layout, d, n, chunk, &len))
		goto out;

	if (!strcmp(layout, DM_VIO_LAYOUT_MIRROR)) {
		pairs = !!opts.region + !!opts.selector + !!opts.weights;
		buf_add(&params, "%s %u", layout, 2 * pairs);
		if (opts.region)
			buf_add(&params, " %s %llu", DM_VIO_MIRROR_REGION_SIZE,
				(unsigned long long)opts.region / 512);
		if (opts.selector)
			buf_add(&params, " %s %s", DM_VIO_MIRROR_SELECTOR, opts.selector);
		if (opts.weights)
			buf_add(&params, " %s %s", DM_VIO_MIRROR_WEIGHTS, opts.weights);
	} else if (!strcmp(layout, DM_VIO_LAYOUT_STRIPE)) {
		buf_add(&params, "%s 1 %llu", layout, (unsigned long long)chunk);
	} else {
		buf_add(&params, "%s 0", layout);
	}
	buf_add(&params, " %u", n);
	for (i = 0; i < n; i++)
		buf_add(&params, " %u:%u %llu", d[i].major, d[i].minor,
			(unsigned long long)offset);

	buf_add(&feat, "%s", "");
	if (opts.ignore_discard) {
		buf_add(&feat, " %s", DM_VIO_FEATURE_IGNORE_DISCARD);
		nfeat++;
	}
	if (opts.nosync) {
		buf_add(&feat, " %s", DM_VIO_FEATURE_NOSYNC);
		nfeat++;
	}
	if (opts.tag) {
		buf_add(&feat, " %s %s", DM_VIO_FEATURE_TAG, opts.tag);
		nfeat += 2;
	}
	if (opts.nfabric) {
		buf_add(&feat, " %s %u", DM_VIO_FEATURE_FABRIC, opts.nfabric);
		for (i = 0; i < opts.nfabric; i++)
			buf_add(&feat, " %s", opts.fabric[i]);
		nfeat += 2 + opts.nfabric;
	}
	if (opts.fabric_host) {
		buf_add(&feat, " %s", DM_VIO_FEATURE_FABRIC_HOST);
		nfeat++;
	}
	if (nfeat)
		buf_add(&params, " %u%s", nfeat, feat.s);

	if (vol_create(name, len, params.s))
		goto out;
	/* What the kernel loaded, as it prints it. */
	if (!vol_open(name, &v)) {
		printf("0 %llu %s %s\n", (unsigned long long)v.len, DM_VIO_TARGET_NAME, v.table);
		vol_close(&v);
	}
	r = 0;
out:
	buf_free(&params);
	buf_free(&feat);
	free(d);
	return r;
}
