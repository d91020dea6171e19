/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-vio: volume geometry and address mapping (linear, stripe).
 *
 * Pure arithmetic on sector numbers: which array a volume sector lives on,
 * where on that array, and how far the I/O may run before it crosses onto
 * another array or chunk. No devices, no bios, so KUnit covers it fully.
 */
#ifndef DM_VIO_LAYOUT_H
#define DM_VIO_LAYOUT_H

#include <linux/math64.h>
#include <linux/types.h>

#include "table.h"

/* What the geometry needs to know about one opened array device. */
struct vio_array_info {
	sector_t dev_sectors;		/* size of the whole device */
	unsigned int lbs_sectors;	/* logical block size, in sectors */
};

struct vio_geom {
	enum vio_layout layout;
	unsigned int nr_arrays;
	unsigned int chunk_shift;	/* stripe: log2(chunk sectors) */
	sector_t len;			/* volume length */
	/* Sectors of each array used by the volume, from its offset on. */
	sector_t array_len[DM_VIO_MAX_ARRAYS];
	/*
	 * Linear: volume sector where each array's extent starts;
	 * start[nr_arrays] == len, so array i holds [start[i], start[i+1]).
	 */
	sector_t start[DM_VIO_MAX_ARRAYS + 1];
};

int vio_geom_init(struct vio_geom *geom, const struct vio_table_args *args,
		  const struct vio_array_info *info, sector_t len,
		  struct vio_err *err);

/* Linear: the array whose extent holds @sector (binary search). */
static inline unsigned int vio_linear_find(const struct vio_geom *geom,
					   sector_t sector)
{
	unsigned int lo = 0, hi = geom->nr_arrays - 1;

	while (lo < hi) {
		unsigned int mid = (lo + hi + 1) / 2;

		if (geom->start[mid] <= sector)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/**
 * vio_geom_map() - map one volume sector
 * @geom: the volume's geometry
 * @sector: volume-relative sector, below geom->len
 * @array_sector: set to the sector relative to the array's table offset
 * @max_len: set to the sectors from @sector to the next array or chunk edge
 *
 * Inline: every bio of a linear or striped volume passes here.
 *
 * Return: the array index. O(1) for stripe, O(log n) for linear.
 */
static inline unsigned int vio_geom_map(const struct vio_geom *geom,
					sector_t sector,
					sector_t *array_sector,
					sector_t *max_len)
{
	sector_t chunk_mask, row;
	unsigned int i;

	if (geom->layout == VIO_LAYOUT_MIRROR) {
		/* Every leg: the caller picks which. */
		*array_sector = sector;
		*max_len = geom->len - sector;
		return 0;
	}
	if (geom->layout == VIO_LAYOUT_LINEAR) {
		i = vio_linear_find(geom, sector);
		*array_sector = sector - geom->start[i];
		*max_len = geom->start[i + 1] - sector;
		return i;
	}

	chunk_mask = ((sector_t)1 << geom->chunk_shift) - 1;
	row = sector >> geom->chunk_shift;
	i = sector_div(row, geom->nr_arrays);
	*array_sector = (row << geom->chunk_shift) | (sector & chunk_mask);
	*max_len = chunk_mask + 1 - (sector & chunk_mask);
	return i;
}

bool vio_geom_map_range(const struct vio_geom *geom, unsigned int array,
			sector_t sector, sector_t nr_sectors,
			sector_t *array_sector, sector_t *array_nr_sectors);

static inline sector_t vio_geom_chunk_sectors(const struct vio_geom *geom)
{
	return geom->layout == VIO_LAYOUT_STRIPE ?
		(sector_t)1 << geom->chunk_shift : 0;
}

#endif /* DM_VIO_LAYOUT_H */
