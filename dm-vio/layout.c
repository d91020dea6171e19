// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vio: volume geometry and address mapping.
 *
 * Linear concatenates the arrays in table order; each array contributes
 * everything from its offset to its end (rounded down to the volume's
 * logical block size), except the last, which contributes only what the
 * volume length still needs. Every array must hold at least one sector of
 * the volume.
 *
 * Stripe deals chunks round-robin: volume chunk c lives on array c % n at
 * array chunk c / n. The volume length must be a whole number of rows
 * (n chunks), so every array holds len / n sectors.
 *
 * Mirror puts the whole volume on every array (leg), at its offset; the
 * volume is as long as the table says, and every leg must hold it.
 */
#include <linux/blk_types.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/overflow.h>
#include <linux/string.h>

#include "compat.h"
#include "layout.h"

static int vio_geom_init_linear(struct vio_geom *geom,
				const struct vio_table_args *args,
				const struct vio_array_info *info,
				unsigned int lbs, struct vio_err *err)
{
	unsigned int n = args->nr_arrays, i;
	sector_t total = 0;

	for (i = 0; i < n; i++) {
		sector_t usable = info[i].dev_sectors - args->arrays[i].offset;

		usable = round_down(usable, lbs);
		if (!usable)
			return vio_err(err,
				"Array %u (%s): no whole logical block after offset %llu",
				i, args->arrays[i].path,
				       (unsigned long long)args->arrays[i].offset);
		geom->start[i] = total;
		geom->array_len[i] = usable;
		if (check_add_overflow(total, usable, &total))
			total = (sector_t)-1;
	}

	if (geom->len > total)
		return vio_err(err,
			"Length %llu exceeds the arrays' capacity of %llu sectors",
			(unsigned long long)geom->len, (unsigned long long)total);
	if (geom->len <= geom->start[n - 1])
		return vio_err(err,
			"Length %llu leaves array %u (%s) unused: the arrays before it hold %llu sectors",
			(unsigned long long)geom->len, n - 1,
			args->arrays[n - 1].path,
			(unsigned long long)geom->start[n - 1]);

	geom->array_len[n - 1] = geom->len - geom->start[n - 1];
	geom->start[n] = geom->len;
	return 0;
}

static int vio_geom_init_stripe(struct vio_geom *geom,
				const struct vio_table_args *args,
				const struct vio_array_info *info,
				unsigned int lbs, struct vio_err *err)
{
	unsigned int n = args->nr_arrays, i;
	u64 width = (u64)n * args->chunk_sectors;
	sector_t per_array;

	if (args->chunk_sectors < lbs)
		return vio_err(err,
			"Stripe chunk size %u is below the logical block size (%u bytes)",
			args->chunk_sectors, lbs << SECTOR_SHIFT);

	per_array = geom->len;
	if (sector_div(per_array, n) || per_array & (args->chunk_sectors - 1))
		return vio_err(err,
			"Length %llu is not a multiple of the stripe width (%u x %u = %llu sectors)",
			(unsigned long long)geom->len, n,
			args->chunk_sectors, width);

	for (i = 0; i < n; i++) {
		sector_t avail = info[i].dev_sectors - args->arrays[i].offset;

		if (avail < per_array)
			return vio_err(err,
				"Array %u (%s) too small: needs %llu sectors after offset %llu, has %llu",
				i, args->arrays[i].path,
				(unsigned long long)per_array,
				(unsigned long long)args->arrays[i].offset,
				(unsigned long long)avail);
		geom->array_len[i] = per_array;
	}

	geom->chunk_shift = ilog2(args->chunk_sectors);
	return 0;
}

static int vio_geom_init_mirror(struct vio_geom *geom,
				const struct vio_table_args *args,
				const struct vio_array_info *info,
				struct vio_err *err)
{
	unsigned int i;

	for (i = 0; i < args->nr_arrays; i++) {
		sector_t avail = info[i].dev_sectors - args->arrays[i].offset;

		if (avail < geom->len)
			return vio_err(err,
				"Mirror leg %u (%s) too small: needs %llu sectors after offset %llu, has %llu",
				i, args->arrays[i].path,
				(unsigned long long)geom->len,
				(unsigned long long)args->arrays[i].offset,
				(unsigned long long)avail);
		geom->array_len[i] = geom->len;
	}
	return 0;
}

/**
 * vio_geom_init() - check a parsed table against its devices and lay it out
 * @geom: result
 * @args: the parsed table line
 * @info: one entry per array, in table order
 * @len: the target length in sectors
 * @err: on failure, what does not fit and by how much
 *
 * Return: 0, or -EINVAL with @err set.
 */
int vio_geom_init(struct vio_geom *geom, const struct vio_table_args *args,
		  const struct vio_array_info *info, sector_t len,
		  struct vio_err *err)
{
	unsigned int lbs = 1, i;

	memset(geom, 0, sizeof(*geom));
	geom->layout = args->layout;
	geom->nr_arrays = args->nr_arrays;
	geom->len = len;

	if (!len)
		return vio_err(err, "Length must not be zero");

	/* The volume's logical block is the largest of its arrays'. */
	for (i = 0; i < args->nr_arrays; i++)
		lbs = max(lbs, info[i].lbs_sectors);

	if (len & (lbs - 1))
		return vio_err(err,
			"Length %llu is not a multiple of the logical block size (%u bytes)",
			(unsigned long long)len, lbs << SECTOR_SHIFT);

	for (i = 0; i < args->nr_arrays; i++) {
		const struct vio_array_args *a = &args->arrays[i];

		if (a->offset & (info[i].lbs_sectors - 1))
			return vio_err(err,
				"Array %u (%s): offset %llu is not aligned to its logical block size (%u bytes)",
				i, a->path, (unsigned long long)a->offset,
				info[i].lbs_sectors << SECTOR_SHIFT);
		if (a->offset >= info[i].dev_sectors)
			return vio_err(err,
				"Array %u (%s): offset %llu is beyond its end (%llu sectors)",
				i, a->path, (unsigned long long)a->offset,
				(unsigned long long)info[i].dev_sectors);
	}

	if (args->layout == VIO_LAYOUT_STRIPE)
		return vio_geom_init_stripe(geom, args, info, lbs, err);
	if (args->layout == VIO_LAYOUT_MIRROR)
		return vio_geom_init_mirror(geom, args, info, err);
	return vio_geom_init_linear(geom, args, info, lbs, err);
}
EXPORT_SYMBOL_IF_KUNIT(vio_geom_init);

/*
 * Stripe: how many sectors of @array map to volume sectors below @sector.
 * Whole rows contribute a chunk each; in the partial row, arrays before the
 * one holding @sector contribute a chunk, that one its offset into it.
 */
static sector_t vio_stripe_below(const struct vio_geom *geom,
				 unsigned int array, sector_t sector)
{
	sector_t chunk = (sector_t)1 << geom->chunk_shift;
	sector_t row = sector >> geom->chunk_shift;
	unsigned int col = sector_div(row, geom->nr_arrays);
	sector_t below = row << geom->chunk_shift;

	if (array < col)
		below += chunk;
	else if (array == col)
		below += sector & (chunk - 1);
	return below;
}

/**
 * vio_geom_map_range() - the part of a volume range that lies on one array
 * @geom: the volume's geometry
 * @array: array index
 * @sector: first volume sector of the range
 * @nr_sectors: length of the range, @sector + @nr_sectors <= geom->len
 * @array_sector: set to the first array sector (relative to its offset)
 * @array_nr_sectors: set to the number of array sectors
 *
 * Used for discard and write-zeroes, which are sent once to every array
 * and each covers, on its array, the contiguous span of the range it owns.
 *
 * Return: false if no sector of the range lies on @array.
 */
bool vio_geom_map_range(const struct vio_geom *geom, unsigned int array,
			sector_t sector, sector_t nr_sectors,
			sector_t *array_sector, sector_t *array_nr_sectors)
{
	sector_t begin, end;

	if (geom->layout == VIO_LAYOUT_MIRROR) {
		*array_sector = sector;
		*array_nr_sectors = nr_sectors;
		return true;
	}
	if (geom->layout == VIO_LAYOUT_LINEAR) {
		begin = max(sector, geom->start[array]);
		end = min(sector + nr_sectors, geom->start[array + 1]);
		if (begin >= end)
			return false;
		*array_sector = begin - geom->start[array];
		*array_nr_sectors = end - begin;
		return true;
	}

	begin = vio_stripe_below(geom, array, sector);
	end = vio_stripe_below(geom, array, sector + nr_sectors);
	if (begin >= end)
		return false;
	*array_sector = begin;
	*array_nr_sectors = end - begin;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(vio_geom_map_range);
