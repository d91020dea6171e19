/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-vio: the mirror layout: legs, their state, read routing, failure,
 * dirty regions and resync.
 *
 * Every leg (array) holds the whole volume. A leg is in sync ('A'),
 * recovering ('a': it receives every write, serves no read, and a resync
 * copies the regions it missed) or failed ('D': it receives nothing, and
 * every write it misses marks its region dirty in the leg's bitmap).
 *
 * Concurrency: leg states and the masks derived from them change under
 * m->lock and are read locklessly (READ_ONCE) on the I/O path, inside an
 * RCU read-side section, so that the resync can wait (synchronize_rcu())
 * for every write that saw a leg as failed to have marked its region.
 * Writes in flight are counted per region bucket (atomics, no lock); the
 * resync copies one region at a time and holds back writes to that region
 * meanwhile (m->deferred), so a copy never races a write.
 */
#ifndef DM_VIO_MIRROR_H
#define DM_VIO_MIRROR_H

#include <linux/atomic.h>
#include <linux/bio.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "selector.h"
#include "table.h"

struct vio_c;
struct vio_io;
struct dm_kcopyd_client;
struct vio_mirror_carry;

/* Per-leg state of a mirror; lives in struct vio_array. */
struct vio_leg {
	char state;			/* DM_VIO_ARRAY_*; under m->lock */
	u32 weight;			/* relative capacity, READ_ONCE */
	atomic_t inflight;		/* I/Os submitted, not completed */
	atomic64_t served;		/* reads routed to the leg */
	u64 ewma_ns;			/* service time; racy updates are fine */
	u64 last_done_ns;
	unsigned long *dirty;		/* regions that may differ on this leg */
	atomic_long_t nr_dirty;		/* bits set in ->dirty */
	bool stalled;			/* 'a', but only unreadable regions left */
};

#define VIO_NO_REGION	ULONG_MAX

struct vio_mirror {
	struct vio_c *vc;
	unsigned int region_shift;	/* log2(region sectors) */
	unsigned long nr_regions;
	unsigned int selector;		/* enum vio_sel_kind, READ_ONCE */

	spinlock_t lock;		/* leg states, deferred, retry */
	unsigned long insync;		/* legs in state 'A' */
	unsigned long writable;		/* legs in state 'A' or 'a' */

	/* Writes in flight per region bucket (region & bucket_mask). */
	atomic_t *wr_inflight;
	unsigned long bucket_mask;
	unsigned long recov_region;	/* being copied, or VIO_NO_REGION */
	wait_queue_head_t recov_wait;
	struct bio_list deferred;	/* writes to recov_region */

	struct bio_list retry;		/* reads to retry, writes to redo */
	struct workqueue_struct *wq;
	struct work_struct retry_work;
	struct work_struct resync_work;
	struct work_struct event_work;
	struct dm_kcopyd_client *kc;
	bool stopping;			/* suspended: no resync */
	unsigned long resync_next;	/* where the resync goes on */
	unsigned long *unreadable;	/* regions no in-sync leg could read */
	/* What postsuspend leaves with the policy for the next table. */
	struct vio_mirror_carry *carry;
	atomic64_t fallbacks;		/* reads whose class's legs could not serve */
};

int vio_mirror_init(struct vio_c *vc, const struct vio_table_args *args,
		    struct vio_err *err);
void vio_mirror_exit(struct vio_c *vc);
int vio_mirror_route(struct vio_c *vc, struct bio *bio, struct vio_io *io,
		     gfp_t gfp);
void vio_mirror_submit(struct vio_c *vc, struct bio *bio);
int vio_mirror_map_per_leg(struct vio_c *vc, struct bio *bio,
			   struct vio_io *io, unsigned int leg);
int vio_mirror_end_io(struct vio_c *vc, struct bio *bio, struct vio_io *io,
		      blk_status_t *error);
void vio_mirror_leg_done(struct vio_c *vc, unsigned int leg, u64 start_ns,
			 blk_status_t status);
void vio_mirror_presuspend(struct vio_c *vc);
void vio_mirror_postsuspend(struct vio_c *vc);
int vio_mirror_preresume(struct vio_c *vc);
void vio_mirror_resume(struct vio_c *vc);
void vio_mirror_carry_free(struct vio_mirror_carry *c);
void vio_mirror_status(struct vio_c *vc, char *result, unsigned int maxlen,
		       unsigned int *sz);
int vio_mirror_message(struct vio_c *vc, unsigned int argc, char **argv,
		       struct vio_err *err);
bool vio_mirror_is_message(const char *verb);
u64 vio_leg_service_us(struct vio_leg *l);
char vio_leg_state(const struct vio_c *vc, unsigned int i);
void vio_leg_mark(struct vio_leg *l, unsigned long first, unsigned long last);
unsigned long vio_carry_regions(const unsigned long *old, sector_t old_len,
				unsigned int old_shift, unsigned long *dirty,
				sector_t len, unsigned int shift,
				bool grown_clean);

/* The regions a range of volume sectors covers (@nr_sectors >= 1). */
static inline void vio_regions_of(sector_t sector, sector_t nr_sectors,
				  unsigned int region_shift,
				  unsigned long *first, unsigned long *last)
{
	*first = sector >> region_shift;
	*last = (sector + nr_sectors - 1) >> region_shift;
}

#endif /* DM_VIO_MIRROR_H */
