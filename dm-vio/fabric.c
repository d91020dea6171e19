// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vio: fan-out of mirrored writes (see fabric.h).
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>

#include "vio.h"

/* A leg's copy of a write; the bio is last (front_pad of the bio set). */
struct vio_fab_clone {
	struct bio *parent;		/* the dm bio */
	unsigned int leg;
	u64 start_ns;
	struct bio bio;
};

int vio_fabric_init(struct vio_c *vc)
{
	return bioset_init(&vc->fab_bs, BIO_POOL_SIZE,
			   offsetof(struct vio_fab_clone, bio), 0);
}

void vio_fabric_exit(struct vio_c *vc)
{
	bioset_exit(&vc->fab_bs);
}

static void vio_fab_endio(struct bio *clone)
{
	struct vio_fab_clone *fc = container_of(clone, struct vio_fab_clone, bio);
	struct bio *parent = fc->parent;
	struct vio_io *io = dm_per_bio_data(parent, sizeof(*io));

	if (clone->bi_status)
		atomic_or(BIT(fc->leg), &io->leg_err);
	vio_mirror_leg_done(io->vc, fc->leg, fc->start_ns, clone->bi_status);
	bio_put(clone);
	bio_endio(parent);
}

/**
 * vio_fabric_fanout() - send a write to several legs
 * @vc: the volume
 * @bio: the dm bio, not yet remapped; io->sector is its volume sector
 * @io: its per-bio data
 * @legs: the legs to write, not empty
 * @gfp: GFP_NOWAIT from the map path, GFP_NOIO from a worker
 *
 * Clones @bio for every leg but the first and submits the clones; @bio
 * itself is remapped to the first leg and left for the caller to submit.
 *
 * Return: 0, or -ENOMEM if a clone could not be allocated, in which case
 * nothing was sent and @bio is unchanged.
 */
int vio_fabric_fanout(struct vio_c *vc, struct bio *bio, struct vio_io *io,
		      unsigned long legs, gfp_t gfp)
{
	struct bio *clones[DM_VIO_MIRROR_MAX_LEGS];
	unsigned int first = __ffs(legs), n = 0, i, k;
	u64 now;

	for_each_set_bit(i, &legs, vc->nr_arrays) {
		if (i == first)
			continue;
		clones[n] = bio_alloc_clone(vc->arrays[i].dev->bdev, bio, gfp,
					    &vc->fab_bs);
		if (!clones[n]) {
			while (n)
				bio_put(clones[--n]);
			return -ENOMEM;
		}
		n++;
	}

	io->legs = legs;
	atomic_set(&io->leg_err, 0);
	now = ktime_get_ns();
	k = 0;
	for_each_set_bit(i, &legs, vc->nr_arrays) {
		struct vio_array *a = &vc->arrays[i];
		struct vio_fab_clone *fc;
		struct bio *clone;

		if (i == first)
			continue;
		clone = clones[k++];
		fc = container_of(clone, struct vio_fab_clone, bio);
		fc->parent = bio;
		fc->leg = i;
		fc->start_ns = now;
		clone->bi_iter.bi_sector = a->offset + io->sector;
		clone->bi_end_io = vio_fab_endio;
		bio_inc_remaining(bio);
		atomic_inc(&a->leg.inflight);
		vio_account(a, clone);
		dm_submit_bio_remap(bio, clone);
	}

	io->array = first;
	io->start_ns = now;
	atomic_inc(&vc->arrays[first].leg.inflight);
	bio_set_dev(bio, vc->arrays[first].dev->bdev);
	bio->bi_iter.bi_sector = vc->arrays[first].offset + io->sector;
	vio_account(&vc->arrays[first], bio);
	return 0;
}
