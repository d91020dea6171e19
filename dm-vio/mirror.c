// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vio: the mirror layout (see mirror.h for the model and locking).
 *
 * Reads go to one in-sync leg, chosen by the volume's selector among the
 * legs the bio's class may use; a read that fails is retried on another
 * leg from a worker, after the failing leg has been taken out of service.
 * Writes go to every writable leg (fabric.c fans them out) and stand if
 * an in-sync leg took them; every leg that failed them leaves service.
 * Discards and write-zeroes are cloned per leg by dm (num_*_bios), like
 * empty flushes.
 *
 * Resync: a worker copies a recovering leg's dirty regions from an
 * in-sync leg with dm-kcopyd, one region at a time. While a region is
 * copied, new writes to it wait in m->deferred; before the copy starts,
 * the writes already in flight to it drain (their region bucket reaches
 * zero). The writer increments its bucket, then reads recov_region; the
 * resync sets recov_region, then reads the bucket; both with full
 * barriers between, so one of them always sees the other.
 */
#include <linux/bitmap.h>
#include <linux/blkdev.h>
#include <linux/dm-io.h>
#include <linux/dm-kcopyd.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "compat.h"
#include "vio.h"
#include "vio_trace.h"

/* Regions copied per run of the resync work before it yields. */
#define VIO_RESYNC_BATCH	16
/* Most write buckets per volume: 16 KiB of counters. */
#define VIO_MAX_BUCKETS		4096

static bool vio_is_error(blk_status_t s)
{
	/*
	 * Not leg faults: BLK_STS_AGAIN asks a REQ_NOWAIT submitter to
	 * retry, BLK_STS_NOTSUPP answers an operation the leg lacks.
	 */
	return s && s != BLK_STS_AGAIN && s != BLK_STS_NOTSUPP;
}

char vio_leg_state(const struct vio_c *vc, unsigned int i)
{
	return vc->mirror ? READ_ONCE(vc->arrays[i].leg.state) :
			    DM_VIO_ARRAY_ALIVE;
}

static const char *vio_dev_name(struct vio_c *vc)
{
	return dm_table_device_name(vc->ti->table);
}

/* Caller holds m->lock. */
static void vio_leg_set_state(struct vio_c *vc, unsigned int leg, char state)
{
	struct vio_mirror *m = vc->mirror;
	unsigned long insync = 0, writable = 0;
	unsigned int i;

	lockdep_assert_held(&m->lock);
	WRITE_ONCE(vc->arrays[leg].leg.state, state);
	for (i = 0; i < vc->nr_arrays; i++) {
		char s = vc->arrays[i].leg.state;

		if (s == DM_VIO_ARRAY_ALIVE)
			insync |= BIT(i);
		if (s != DM_VIO_ARRAY_FAILED)
			writable |= BIT(i);
	}
	WRITE_ONCE(m->insync, insync);
	WRITE_ONCE(m->writable, writable);
}

/*
 * A leg that enters service starts level with the in-sync legs, relative
 * to its weight (the most reads per weight any of them served), so that
 * round-robin neither floods it nor starves it while it catches up.
 */
static void vio_leg_level_served(struct vio_c *vc, unsigned int leg)
{
	struct vio_mirror *m = vc->mirror;
	u32 w = READ_ONCE(vc->arrays[leg].leg.weight);
	unsigned long insync = m->insync & ~BIT(leg);
	u64 most = 0;
	unsigned int i;

	for_each_set_bit(i, &insync, vc->nr_arrays) {
		struct vio_leg *l = &vc->arrays[i].leg;

		most = max(most, div_u64(atomic64_read(&l->served) * w,
					 max(READ_ONCE(l->weight), 1U)));
	}
	atomic64_set(&vc->arrays[leg].leg.served, most);
}

/* Mark regions @first..@last dirty on a leg; any context. */
void vio_leg_mark(struct vio_leg *l, unsigned long first, unsigned long last)
{
	unsigned long r;

	for (r = first; r <= last; r++)
		if (!test_and_set_bit(r, l->dirty))
			atomic_long_inc(&l->nr_dirty);
}
EXPORT_SYMBOL_IF_KUNIT(vio_leg_mark);

/*
 * Take a leg out of service. Refused (false) for the last in-sync leg:
 * there is no better copy, so its errors go to the submitter instead.
 * Any context.
 */
static bool vio_mirror_fail_leg(struct vio_c *vc, unsigned int leg,
				const char *why)
{
	struct vio_mirror *m = vc->mirror;
	unsigned long flags;
	char state;

	spin_lock_irqsave(&m->lock, flags);
	state = vc->arrays[leg].leg.state;
	if (state == DM_VIO_ARRAY_FAILED) {
		spin_unlock_irqrestore(&m->lock, flags);
		return true;
	}
	if (m->insync == BIT(leg)) {
		spin_unlock_irqrestore(&m->lock, flags);
		return false;
	}
	vio_leg_set_state(vc, leg, DM_VIO_ARRAY_FAILED);
	spin_unlock_irqrestore(&m->lock, flags);
	trace_vio_leg_state(vc->devt, leg, state, DM_VIO_ARRAY_FAILED, why);

	DMERR("%s: array %u (%s) failed on a %s; the mirror is degraded",
	      vio_dev_name(vc), leg, vc->arrays[leg].dev->name, why);
	queue_work(m->wq, &m->event_work);
	/* A resync of this leg waiting for a region stops waiting. */
	wake_up(&m->recov_wait);
	return true;
}

/* A snapshot of a leg's load, as the selectors take it. */
static void vio_leg_load_of(struct vio_leg *l, struct vio_leg_load *load)
{
	load->inflight = atomic_read(&l->inflight);
	load->weight = READ_ONCE(l->weight);
	load->served = atomic64_read(&l->served);
	load->ewma_ns = READ_ONCE(l->ewma_ns);
	load->last_done_ns = READ_ONCE(l->last_done_ns);
}

/* The service time status and sysfs show: the one the selector uses now. */
u64 vio_leg_service_us(struct vio_leg *l)
{
	struct vio_leg_load load;

	vio_leg_load_of(l, &load);
	return div_u64(vio_leg_service_ns(&load, ktime_get_ns()), NSEC_PER_USEC);
}

void vio_mirror_leg_done(struct vio_c *vc, unsigned int leg, u64 start_ns,
			 blk_status_t status)
{
	struct vio_array *a = &vc->arrays[leg];
	u64 now = ktime_get_ns();

	if (!status) {
		WRITE_ONCE(a->leg.ewma_ns,
			   vio_ewma_update(READ_ONCE(a->leg.ewma_ns),
					   now - start_ns));
		WRITE_ONCE(a->leg.last_done_ns, now);
	} else if (vio_is_error(status)) {
		vio_count(a, DM_VIO_CTR_ERRORS, 1);
	}
	atomic_dec(&a->leg.inflight);
}

/* Write buckets: see the comment at the top. */
static void vio_ungate(struct vio_mirror *m, unsigned long first,
		       unsigned long last)
{
	unsigned long r;

	for (r = first; r <= last; r++)
		if (atomic_dec_and_test(&m->wr_inflight[r & m->bucket_mask]) &&
		    READ_ONCE(m->recov_region) != VIO_NO_REGION)
			wake_up(&m->recov_wait);
}

static bool vio_covers(unsigned long rec, const struct vio_io *io)
{
	return rec != VIO_NO_REGION && rec >= io->rfirst && rec <= io->rlast;
}

/* Count a write in its regions' buckets, or defer it (false). */
static bool vio_gate(struct vio_mirror *m, struct bio *bio, struct vio_io *io)
{
	unsigned long flags, r;

	for (;;) {
		for (r = io->rfirst; r <= io->rlast; r++)
			atomic_inc(&m->wr_inflight[r & m->bucket_mask]);
		/* Count, then look: pairs with the barrier in vio_resync_region(). */
		smp_mb__after_atomic();
		if (likely(!vio_covers(READ_ONCE(m->recov_region), io))) {
			io->flags |= VIO_IO_GATED;
			return true;
		}
		vio_ungate(m, io->rfirst, io->rlast);

		spin_lock_irqsave(&m->lock, flags);
		if (vio_covers(m->recov_region, io)) {
			bio_list_add(&m->deferred, bio);
			spin_unlock_irqrestore(&m->lock, flags);
			return false;
		}
		spin_unlock_irqrestore(&m->lock, flags);
	}
}

/* Complete a bio that no leg can serve; end_io sees the error. */
static int vio_mirror_kill(struct bio *bio)
{
	bio->bi_status = BLK_STS_IOERR;
	bio_endio(bio);
	return DM_MAPIO_SUBMITTED;
}

/*
 * The legs a read may go to: in sync, and as its class prefers. @why says
 * which rule chose them, for the trace.
 */
static unsigned long vio_read_candidates(struct vio_mirror *m,
					 struct vio_io *io, const char **why)
{
	static const char * const names[] = {
		[VIO_AFF_INSYNC] = "in-sync",
		[VIO_AFF_PREFERRED] = "preferred",
		[VIO_AFF_NOT_AVOIDED] = "not-avoided",
		[VIO_AFF_FALLBACK_NOT_AVOIDED] = "fallback-not-avoided",
		[VIO_AFF_FALLBACK] = "fallback",
	};
	unsigned long insync = READ_ONCE(m->insync), cand;
	struct vio_class *c = io->q.cls;
	enum vio_affinity_why w = VIO_AFF_INSYNC;

	cand = c ? vio_affinity(insync, READ_ONCE(c->qc.p.prefer),
				READ_ONCE(c->qc.p.avoid), &w) : insync;
	if (vio_affinity_fell_back(w))
		atomic64_inc(&m->fallbacks);
	*why = names[w];
	return cand;
}

static int vio_mirror_read(struct vio_c *vc, struct bio *bio,
			   struct vio_io *io)
{
	struct vio_mirror *m = vc->mirror;
	struct vio_leg_load load[DM_VIO_MIRROR_MAX_LEGS] = {};
	const char *why;
	unsigned long cand = vio_read_candidates(m, io, &why);
	u64 now = ktime_get_ns();
	const struct vio_selector_ops *sel;
	struct vio_array *a;
	unsigned int i;

	if (!cand)
		return vio_mirror_kill(bio);
	for_each_set_bit(i, &cand, vc->nr_arrays) {
		struct vio_leg *l = &vc->arrays[i].leg;

		vio_leg_load_of(l, &load[i]);
	}
	sel = &vio_selectors[READ_ONCE(m->selector)];
	i = sel->select(load, cand, now);
	trace_vio_route(vc->devt, io->sector, i, sel->name, why);

	a = &vc->arrays[i];
	atomic64_inc(&a->leg.served);
	atomic_inc(&a->leg.inflight);
	io->array = i;
	io->flags |= VIO_IO_LEG;
	io->start_ns = now;
	io->iter = bio->bi_iter;
	io->bi_flags = bio->bi_flags;
	io->remaining = atomic_read(&bio->__bi_remaining);
	bio_set_dev(bio, a->dev->bdev);
	bio->bi_iter.bi_sector = a->offset + io->sector;
	vio_account(a, bio);
	return DM_MAPIO_REMAPPED;
}

static int vio_mirror_write(struct vio_c *vc, struct bio *bio,
			    struct vio_io *io, gfp_t gfp)
{
	struct vio_mirror *m = vc->mirror;
	unsigned long writable, failed, flags;
	unsigned int i;

	if (!(io->flags & VIO_IO_GATED) && !vio_gate(m, bio, io))
		return DM_MAPIO_SUBMITTED;

	/*
	 * Read the leg states and mark the regions of the legs this write
	 * misses in one RCU section: a reinstated leg's resync starts after
	 * a grace period, so it finds every mark made while the leg was
	 * failed.
	 */
	rcu_read_lock();
	writable = READ_ONCE(m->writable);
	io->insync = READ_ONCE(m->insync);
	failed = ~writable & GENMASK(vc->nr_arrays - 1, 0);
	for_each_set_bit(i, &failed, vc->nr_arrays)
		vio_leg_mark(&vc->arrays[i].leg, io->rfirst, io->rlast);
	rcu_read_unlock();

	if (!io->insync) {
		vio_ungate(m, io->rfirst, io->rlast);
		io->flags &= ~VIO_IO_GATED;
		return vio_mirror_kill(bio);
	}

	/* One submitter's wait covers every leg: no partial nowait writes. */
	bio->bi_opf &= ~REQ_NOWAIT;
	if (vio_fabric_fanout(vc, bio, io, writable, gfp)) {
		/* Out of clones without sleeping: the worker may sleep. */
		spin_lock_irqsave(&m->lock, flags);
		bio_list_add(&m->retry, bio);
		spin_unlock_irqrestore(&m->lock, flags);
		queue_work(m->wq, &m->retry_work);
		return DM_MAPIO_SUBMITTED;
	}
	io->flags |= VIO_IO_LEG;
	return DM_MAPIO_REMAPPED;
}

/*
 * Empty flushes, discards and write-zeroes, which dm clones once per leg;
 * @leg is the clone's number. A failed leg gets none; a discard or
 * write-zeroes it misses marks its regions.
 */
static int vio_mirror_per_leg(struct vio_c *vc, struct bio *bio,
			      struct vio_io *io, unsigned int leg)
{
	struct vio_mirror *m = vc->mirror;
	struct vio_array *a = &vc->arrays[leg];
	bool empty = !bio_sectors(bio);
	char state;

	io->array = leg;
	if (!empty && !(io->flags & VIO_IO_GATED) && !vio_gate(m, bio, io))
		return DM_MAPIO_SUBMITTED;

	rcu_read_lock();
	state = READ_ONCE(a->leg.state);
	if (state == DM_VIO_ARRAY_FAILED && !empty)
		vio_leg_mark(&a->leg, io->rfirst, io->rlast);
	rcu_read_unlock();

	if (state == DM_VIO_ARRAY_FAILED) {
		if (!empty) {
			vio_ungate(m, io->rfirst, io->rlast);
			io->flags &= ~VIO_IO_GATED;
		}
		bio_endio(bio);
		return DM_MAPIO_SUBMITTED;
	}

	bio->bi_opf &= ~REQ_NOWAIT;
	atomic_inc(&a->leg.inflight);
	io->flags |= VIO_IO_LEG;
	io->start_ns = ktime_get_ns();
	bio_set_dev(bio, a->dev->bdev);
	if (empty) {
		vio_count(a, DM_VIO_CTR_FLUSHES, 1);
	} else {
		bio->bi_iter.bi_sector = a->offset + io->sector;
		vio_account(a, bio);
	}
	return DM_MAPIO_REMAPPED;
}

/**
 * vio_mirror_route() - send a bio that may go now to its leg(s)
 * @vc: the volume
 * @bio: the dm bio; io->sector, rfirst and rlast are set
 * @io: its per-bio data
 * @gfp: GFP_NOWAIT in the map path, GFP_NOIO from a worker
 *
 * Return: DM_MAPIO_REMAPPED if the caller is to submit @bio, or
 * DM_MAPIO_SUBMITTED if it was sent, queued or completed here.
 */
int vio_mirror_route(struct vio_c *vc, struct bio *bio, struct vio_io *io,
		     gfp_t gfp)
{
	if (unlikely(bio->bi_opf & REQ_PREFLUSH) ||
	    unlikely(op_is_discard(bio_op(bio))) ||
	    unlikely(bio_op(bio) == REQ_OP_WRITE_ZEROES))
		return vio_mirror_per_leg(vc, bio, io,
					  dm_bio_get_target_bio_nr(bio));
	if (op_is_write(bio_op(bio)))
		return vio_mirror_write(vc, bio, io, gfp);
	return vio_mirror_read(vc, bio, io);
}

/* From a worker or the QoS dispatcher: route and submit. */
void vio_mirror_submit(struct vio_c *vc, struct bio *bio)
{
	struct vio_io *io = dm_per_bio_data(bio, sizeof(*io));

	if (vio_mirror_route(vc, bio, io, GFP_NOIO) == DM_MAPIO_REMAPPED &&
	    vio_fabric_send(vc, bio, &io->fab, io->array))
		dm_submit_bio_remap(bio, NULL);
}

static void vio_mirror_retry_work(struct work_struct *work)
{
	struct vio_mirror *m = container_of(work, struct vio_mirror, retry_work);
	struct bio_list bios;
	struct bio *bio;

	spin_lock_irq(&m->lock);
	bios = m->retry;
	bio_list_init(&m->retry);
	spin_unlock_irq(&m->lock);

	while ((bio = bio_list_pop(&bios)))
		vio_mirror_submit(m->vc, bio);
}

/**
 * vio_mirror_end_io() - account a completed bio, decide on leg errors
 * @vc: the volume
 * @bio: the dm bio
 * @io: its per-bio data
 * @error: its status; cleared when another leg made up for a leg's error
 *
 * Return: DM_ENDIO_DONE, or DM_ENDIO_INCOMPLETE for a read that is
 * retried on another leg.
 */
int vio_mirror_end_io(struct vio_c *vc, struct bio *bio, struct vio_io *io,
		      blk_status_t *error)
{
	struct vio_mirror *m = vc->mirror;
	blk_status_t st = *error;
	unsigned long errors, to_fail, flags;
	unsigned int i;

	if (io->flags & VIO_IO_LEG) {
		io->flags &= ~VIO_IO_LEG;
		vio_mirror_leg_done(vc, io->array, io->start_ns, st);
	} else if (!(io->flags & VIO_IO_GATED)) {
		return DM_ENDIO_DONE;	/* never reached a leg */
	}

	if (!op_is_write(bio_op(bio))) {
		if (!vio_is_error(st) ||
		    !vio_mirror_fail_leg(vc, io->array, "read"))
			return DM_ENDIO_DONE;
		/*
		 * Again, from the top, on another leg. bio_endio() has been
		 * through the bio: restore what it consumed, or a leg that
		 * splits it again (bio_inc_remaining()) would see it complete
		 * after the first part. bio_endio() also dropped its cgroup:
		 * bio_set_dev() associates it with the worker's, so the
		 * array's cgroup controller charges the retry to the root;
		 * dm-vio's own counters keep it with its tenant (io->q).
		 */
		bio->bi_iter = io->iter;
		bio->bi_flags = io->bi_flags;
		atomic_set(&bio->__bi_remaining, io->remaining);
		bio->bi_status = BLK_STS_OK;
		spin_lock_irqsave(&m->lock, flags);
		bio_list_add(&m->retry, bio);
		spin_unlock_irqrestore(&m->lock, flags);
		queue_work(m->wq, &m->retry_work);
		return DM_ENDIO_INCOMPLETE;
	}

	if (io->legs) {
		/* A fanned-out write: this leg's status and the clones'. */
		errors = atomic_read(&io->leg_err) |
			 (vio_is_error(st) ? BIT(io->array) : 0);
		if (errors) {
			if (vio_fanout_verdict(io->legs, io->insync, errors,
					       &to_fail)) {
				for_each_set_bit(i, &to_fail, vc->nr_arrays) {
					vio_leg_mark(&vc->arrays[i].leg,
						     io->rfirst, io->rlast);
					vio_mirror_fail_leg(vc, i, "write");
				}
				*error = BLK_STS_OK;
			} else if (!st) {
				*error = BLK_STS_IOERR;
			}
		}
	} else if (vio_is_error(st)) {
		/* A per-leg flush, discard or write-zeroes. */
		if (vio_mirror_fail_leg(vc, io->array,
					bio_sectors(bio) ? "discard" : "flush")) {
			if (bio_sectors(bio))
				vio_leg_mark(&vc->arrays[io->array].leg,
					     io->rfirst, io->rlast);
			*error = BLK_STS_OK;
		}
	}

	/* Last: a resync waiting for these regions finds the marks made. */
	if (io->flags & VIO_IO_GATED) {
		io->flags &= ~VIO_IO_GATED;
		vio_ungate(m, io->rfirst, io->rlast);
	}
	return DM_ENDIO_DONE;
}

/* ---------------------------------------------------------------------- */
/* Resync */

struct vio_copy {
	struct completion done;
	unsigned long read_err;
	unsigned long write_err;
};

static void vio_copy_done(int read_err, unsigned long write_err, void *context)
{
	struct vio_copy *c = context;

	c->read_err = read_err;
	c->write_err = write_err;
	complete(&c->done);
}

/* The first leg in state 'a' whose resync has not stalled, or -1. */
static int vio_resync_leg(struct vio_c *vc)
{
	struct vio_mirror *m = vc->mirror;
	unsigned long rec = READ_ONCE(m->writable) & ~READ_ONCE(m->insync);
	unsigned int i;

	for_each_set_bit(i, &rec, vc->nr_arrays)
		if (!READ_ONCE(vc->arrays[i].leg.stalled))
			return i;
	return -1;
}

/* The next dirty region of @l from @from that may be readable, or none. */
static unsigned long vio_resync_next(struct vio_mirror *m, struct vio_leg *l,
				     unsigned long from)
{
	unsigned long r;

	for (r = find_next_bit(l->dirty, m->nr_regions, from);
	     r < m->nr_regions;
	     r = find_next_bit(l->dirty, m->nr_regions, r + 1))
		if (!test_bit(r, m->unreadable))
			return r;
	return m->nr_regions;
}

/* Copy region @r to @leg from an in-sync leg. Return: false to stop. */
static bool vio_resync_region(struct vio_c *vc, unsigned int leg,
			      unsigned long r)
{
	struct vio_mirror *m = vc->mirror;
	struct vio_leg *l = &vc->arrays[leg].leg;
	sector_t start = (sector_t)r << m->region_shift;
	struct dm_io_region from, to;
	struct bio_list deferred;
	struct vio_copy c;
	unsigned long insync = READ_ONCE(m->insync);
	unsigned int src;
	struct bio *bio;
	bool go_on = true;

	if (!insync)
		return false;
	src = __ffs(insync);

	spin_lock_irq(&m->lock);
	WRITE_ONCE(m->recov_region, r);
	spin_unlock_irq(&m->lock);
	/* Publish, then look at the bucket: pairs with vio_gate(). */
	smp_mb();
	wait_event(m->recov_wait,
		   !atomic_read(&m->wr_inflight[r & m->bucket_mask]) ||
		   READ_ONCE(l->state) != DM_VIO_ARRAY_RECOVERING);

	if (READ_ONCE(l->state) == DM_VIO_ARRAY_RECOVERING) {
		from.bdev = vc->arrays[src].dev->bdev;
		from.sector = vc->arrays[src].offset + start;
		from.count = min_t(sector_t, (sector_t)1 << m->region_shift,
				   vc->ti->len - start);
		to.bdev = vc->arrays[leg].dev->bdev;
		to.sector = vc->arrays[leg].offset + start;
		to.count = from.count;

		init_completion(&c.done);
		dm_kcopyd_copy(m->kc, &from, 1, &to, 0, vio_copy_done, &c);
		wait_for_completion(&c.done);

		if (!c.read_err && !c.write_err) {
			if (test_and_clear_bit(r, l->dirty))
				atomic_long_dec(&l->nr_dirty);
		} else if (c.write_err) {
			vio_mirror_fail_leg(vc, leg, "resync write");
		} else if (!vio_mirror_fail_leg(vc, src, "resync read")) {
			/*
			 * The last in-sync leg cannot read it: the region
			 * stays dirty, and the copy goes on with the others.
			 */
			__set_bit(r, m->unreadable);
			DMERR_LIMIT("%s: region %lu of array %u: no in-sync leg can read it",
				    vio_dev_name(vc), r, leg);
		}
	}

	spin_lock_irq(&m->lock);
	WRITE_ONCE(m->recov_region, VIO_NO_REGION);
	deferred = m->deferred;
	bio_list_init(&m->deferred);
	spin_unlock_irq(&m->lock);
	while ((bio = bio_list_pop(&deferred)))
		vio_mirror_submit(vc, bio);
	return go_on;
}

/* Only regions no in-sync leg could read are left: wait for reinstate. */
static void vio_resync_pause(struct vio_c *vc, unsigned int leg)
{
	struct vio_mirror *m = vc->mirror;
	struct vio_leg *l = &vc->arrays[leg].leg;

	spin_lock_irq(&m->lock);
	WRITE_ONCE(l->stalled, true);
	spin_unlock_irq(&m->lock);
	DMERR("%s: array %u: resync paused, %ld regions unreadable; 'reinstate %u' retries",
	      vio_dev_name(vc), leg, atomic_long_read(&l->nr_dirty), leg);
	queue_work(m->wq, &m->event_work);
	m->resync_next = 0;
}

static void vio_resync_work(struct work_struct *work)
{
	struct vio_mirror *m = container_of(work, struct vio_mirror, resync_work);
	struct vio_c *vc = m->vc;
	unsigned int batch;

	for (batch = 0; batch < VIO_RESYNC_BATCH; batch++) {
		struct vio_leg *l;
		unsigned long r;
		int leg;

		if (READ_ONCE(m->stopping))
			return;
		leg = vio_resync_leg(vc);
		if (leg < 0)
			return;
		l = &vc->arrays[leg].leg;

		r = vio_resync_next(m, l, m->resync_next);
		if (r >= m->nr_regions)
			r = vio_resync_next(m, l, 0);
		if (r >= m->nr_regions && atomic_long_read(&l->nr_dirty)) {
			vio_resync_pause(vc, leg);
			continue;
		}
		if (r >= m->nr_regions) {
			/* Nothing left to copy: the leg is in sync. */
			spin_lock_irq(&m->lock);
			if (l->state == DM_VIO_ARRAY_RECOVERING &&
			    !atomic_long_read(&l->nr_dirty)) {
				vio_leg_level_served(vc, leg);
				vio_leg_set_state(vc, leg, DM_VIO_ARRAY_ALIVE);
				trace_vio_leg_state(vc->devt, leg,
						    DM_VIO_ARRAY_RECOVERING,
						    DM_VIO_ARRAY_ALIVE, "resynced");
			}
			spin_unlock_irq(&m->lock);
			DMINFO("%s: array %u (%s) is in sync", vio_dev_name(vc),
			       leg, vc->arrays[leg].dev->name);
			queue_work(m->wq, &m->event_work);
			m->resync_next = 0;
			continue;
		}
		if (!vio_resync_region(vc, leg, r))
			return;
		m->resync_next = r + 1;
	}
	queue_work(m->wq, &m->resync_work);	/* yield, then go on */
}

static void vio_mirror_event_work(struct work_struct *work)
{
	struct vio_mirror *m = container_of(work, struct vio_mirror, event_work);

	dm_table_event(m->vc->ti->table);
}

/* ---------------------------------------------------------------------- */
/* Leg states across table reloads */

/*
 * A new table builds its legs in their initial states: every leg but the
 * first copies the volume in full, or with nosync all are in sync. What
 * the device knows about its legs -- one failed and the regions it missed,
 * a resync half done -- lives in the table being replaced. So a table that
 * suspends leaves its legs' states and dirty regions with the device's
 * policy (postsuspend: no I/O is in flight and the resync has stopped, so
 * they are final), and the next table to resume takes them over for every
 * leg the two share (the same device at the same offset), whatever its own
 * features say: a leg known to be stale stays stale. Only legs new to the
 * volume start as the table says. A table none of whose legs holds the
 * volume's data (all the in-sync ones left) is refused at resume. The
 * buffer is allocated with the table, so suspending never allocates.
 */
struct vio_carry_leg {
	dev_t dev;
	sector_t offset;
	char state;
	unsigned long *dirty;
};

struct vio_mirror_carry {
	const struct vio_c *from;	/* the table that left it, or NULL */
	sector_t len;
	unsigned int region_shift;
	unsigned long nr_regions;
	unsigned int nr_legs;
	struct vio_carry_leg legs[DM_VIO_MIRROR_MAX_LEGS];
};

void vio_mirror_carry_free(struct vio_mirror_carry *c)
{
	unsigned int i;

	if (!c)
		return;
	for (i = 0; i < c->nr_legs; i++)
		kvfree(c->legs[i].dirty);
	kfree(c);
}

static struct vio_mirror_carry *
vio_mirror_carry_alloc(unsigned int nr_legs, unsigned long nr_regions)
{
	struct vio_mirror_carry *c = kzalloc(sizeof(*c), GFP_KERNEL);
	unsigned int i;

	if (!c)
		return NULL;
	c->nr_legs = nr_legs;
	for (i = 0; i < nr_legs; i++) {
		c->legs[i].dirty = kvcalloc(BITS_TO_LONGS(nr_regions),
					    sizeof(unsigned long), GFP_KERNEL);
		if (!c->legs[i].dirty) {
			vio_mirror_carry_free(c);
			return NULL;
		}
	}
	return c;
}

void vio_mirror_postsuspend(struct vio_c *vc)
{
	struct vio_mirror *m = vc->mirror;
	struct vio_mirror_carry *c = m->carry, *old;
	unsigned int i;

	if (!c)
		return;
	c->from = vc;
	c->len = vc->ti->len;
	c->region_shift = m->region_shift;
	c->nr_regions = m->nr_regions;
	for (i = 0; i < vc->nr_arrays; i++) {
		struct vio_array *a = &vc->arrays[i];

		c->legs[i].dev = a->dev->bdev->bd_dev;
		c->legs[i].offset = a->offset;
		c->legs[i].state = READ_ONCE(a->leg.state);
		bitmap_copy(c->legs[i].dirty, a->leg.dirty, m->nr_regions);
	}

	mutex_lock(&vc->pol->lock);
	old = vc->pol->carry;
	vc->pol->carry = c;
	m->carry = NULL;
	mutex_unlock(&vc->pol->lock);
	vio_mirror_carry_free(old);
}

/**
 * vio_carry_regions - a leg's dirty regions, from one table to the next
 * @old: the leg's bitmap in the old table
 * @old_len: the old table's length, sectors
 * @old_shift: log2 of its region size, sectors
 * @dirty: the bitmap to fill for the new table (cleared first)
 * @len: the new table's length, sectors
 * @shift: log2 of its region size, sectors
 * @grown_clean: the sectors past the old end need no copy
 *
 * A new region is dirty if it overlaps an old dirty one, or, unless
 * @grown_clean, reaches past the old end, where no write through the old
 * table went. Return: the number of dirty regions.
 */
unsigned long vio_carry_regions(const unsigned long *old, sector_t old_len,
				unsigned int old_shift, unsigned long *dirty,
				sector_t len, unsigned int shift,
				bool grown_clean)
{
	unsigned long nr = (len + (1ULL << shift) - 1) >> shift;
	unsigned long r, of, ol;

	if (old_shift == shift && old_len == len) {
		bitmap_copy(dirty, old, nr);
		return bitmap_weight(dirty, nr);
	}
	bitmap_zero(dirty, nr);
	for (r = 0; r < nr; r++) {
		sector_t s = (sector_t)r << shift;
		sector_t e = min_t(sector_t, len, s + (1ULL << shift));

		if (e > old_len && !grown_clean) {
			__set_bit(r, dirty);
			continue;
		}
		if (s >= old_len)
			continue;
		vio_regions_of(s, min(e, old_len) - s, old_shift, &of, &ol);
		if (find_next_bit(old, ol + 1, of) <= ol)
			__set_bit(r, dirty);
	}
	return bitmap_weight(dirty, nr);
}
EXPORT_SYMBOL_IF_KUNIT(vio_carry_regions);

/* Take over the legs' states and dirty regions from the previous table. */
static int vio_mirror_adopt(struct vio_c *vc, const struct vio_mirror_carry *c)
{
	struct vio_mirror *m = vc->mirror;
	bool nosync = vc->features & VIO_F_NOSYNC;
	char state[DM_VIO_MIRROR_MAX_LEGS + 1] = {};
	int from[DM_VIO_MIRROR_MAX_LEGS];
	unsigned long src = 0;
	unsigned int i, j, first;

	for (i = 0; i < vc->nr_arrays; i++) {
		struct vio_array *a = &vc->arrays[i];

		from[i] = -1;
		for (j = 0; j < c->nr_legs; j++)
			if (c->legs[j].dev == a->dev->bdev->bd_dev &&
			    c->legs[j].offset == a->offset)
				from[i] = j;
		if (from[i] >= 0)
			state[i] = c->legs[from[i]].state;
		else
			state[i] = nosync ? DM_VIO_ARRAY_ALIVE :
					    DM_VIO_ARRAY_RECOVERING;
		if (state[i] == DM_VIO_ARRAY_ALIVE)
			src |= BIT(i);
	}
	if (!src) {
		char had[DM_VIO_MIRROR_MAX_LEGS * 24] = "";
		unsigned int sz = 0;

		for (j = 0; j < c->nr_legs; j++)
			if (c->legs[j].state == DM_VIO_ARRAY_ALIVE)
				sz += scnprintf(had + sz, sizeof(had) - sz,
						" %u:%u+%llu", MAJOR(c->legs[j].dev),
						MINOR(c->legs[j].dev),
						(unsigned long long)c->legs[j].offset);
		DMERR("%s: cannot resume: no leg of the new table is in sync; the data is on%s",
		      vio_dev_name(vc), had);
		return -EINVAL;
	}

	first = __ffs(src);
	for (i = 0; i < vc->nr_arrays; i++) {
		struct vio_leg *l = &vc->arrays[i].leg;
		unsigned long nr;

		if (from[i] >= 0) {
			nr = vio_carry_regions(c->legs[from[i]].dirty, c->len,
					       c->region_shift, l->dirty,
					       vc->ti->len, m->region_shift,
					       nosync || i == first);
		} else if (state[i] == DM_VIO_ARRAY_RECOVERING) {
			bitmap_fill(l->dirty, m->nr_regions);
			nr = m->nr_regions;
		} else {
			bitmap_zero(l->dirty, m->nr_regions);
			nr = 0;
		}
		atomic_long_set(&l->nr_dirty, nr);
		if (state[i] == DM_VIO_ARRAY_ALIVE && nr)
			state[i] = DM_VIO_ARRAY_RECOVERING;
	}

	spin_lock_irq(&m->lock);
	for (i = 0; i < vc->nr_arrays; i++)
		WRITE_ONCE(vc->arrays[i].leg.state, state[i]);
	vio_leg_set_state(vc, 0, state[0]);	/* and the masks */
	spin_unlock_irq(&m->lock);
	if (m->insync != GENMASK(vc->nr_arrays - 1, 0))
		DMINFO("%s: array states taken over from the previous table: %s",
		       vio_dev_name(vc), state);
	return 0;
}

/*
 * Before a table resumes: take over what the previous one left (a table
 * that is not a mirror drops it: its writes reach one copy only). Keeps
 * it on refusal, for the table the operator loads next.
 */
int vio_mirror_preresume(struct vio_c *vc)
{
	struct vio_policy *pol = vc->pol;
	struct vio_mirror_carry *c;
	int r = 0;

	mutex_lock(&pol->lock);
	c = pol->carry;
	if (!c)
		goto out;
	if (vc->mirror && c->from == vc) {
		/* The table that left them resumes: they are its own. */
		vc->mirror->carry = c;
		pol->carry = NULL;
		goto out;
	}
	if (vc->mirror) {
		r = vio_mirror_adopt(vc, c);
		if (r)
			goto out;
	}
	pol->carry = NULL;
	mutex_unlock(&pol->lock);
	vio_mirror_carry_free(c);
	return 0;
out:
	mutex_unlock(&pol->lock);
	return r;
}

/* ---------------------------------------------------------------------- */
/* Construction, suspend, resume */

int vio_mirror_init(struct vio_c *vc, const struct vio_table_args *args,
		    struct vio_err *err)
{
	struct dm_target *ti = vc->ti;
	struct vio_mirror *m;
	unsigned long buckets;
	unsigned int i;

	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		goto nomem;
	vc->mirror = m;
	m->vc = vc;
	m->region_shift = ilog2(args->region_sectors);
	m->nr_regions = (ti->len + args->region_sectors - 1) >> m->region_shift;
	m->selector = args->selector;
	m->recov_region = VIO_NO_REGION;
	spin_lock_init(&m->lock);
	init_waitqueue_head(&m->recov_wait);
	bio_list_init(&m->deferred);
	bio_list_init(&m->retry);
	INIT_WORK(&m->retry_work, vio_mirror_retry_work);
	INIT_WORK(&m->resync_work, vio_resync_work);
	INIT_WORK(&m->event_work, vio_mirror_event_work);
	m->stopping = true;	/* until the first resume */

	buckets = min_t(unsigned long, roundup_pow_of_two(m->nr_regions),
			VIO_MAX_BUCKETS);
	m->bucket_mask = buckets - 1;
	m->wr_inflight = kvcalloc(buckets, sizeof(*m->wr_inflight), GFP_KERNEL);
	m->unreadable = kvcalloc(BITS_TO_LONGS(m->nr_regions),
				 sizeof(unsigned long), GFP_KERNEL);
	if (!m->wr_inflight || !m->unreadable)
		goto nomem;

	for (i = 0; i < vc->nr_arrays; i++) {
		struct vio_leg *l = &vc->arrays[i].leg;

		l->weight = args->weights[i];
		l->dirty = kvcalloc(BITS_TO_LONGS(m->nr_regions),
				    sizeof(unsigned long), GFP_KERNEL);
		if (!l->dirty)
			goto nomem;
		/* Without nosync, every leg but the first copies it all. */
		if (i && !(args->features & VIO_F_NOSYNC)) {
			bitmap_set(l->dirty, 0, m->nr_regions);
			atomic_long_set(&l->nr_dirty, m->nr_regions);
			l->state = DM_VIO_ARRAY_RECOVERING;
		} else {
			l->state = DM_VIO_ARRAY_ALIVE;
		}
	}
	spin_lock_irq(&m->lock);
	vio_leg_set_state(vc, 0, DM_VIO_ARRAY_ALIVE);
	spin_unlock_irq(&m->lock);

	m->wq = alloc_workqueue("kviomirror/%s", WQ_MEM_RECLAIM, 0,
				dm_table_device_name(ti->table));
	if (!m->wq)
		goto nomem;
	m->kc = dm_kcopyd_client_create(NULL);
	if (IS_ERR(m->kc)) {
		m->kc = NULL;
		goto nomem;
	}
	m->carry = vio_mirror_carry_alloc(vc->nr_arrays, m->nr_regions);
	if (!m->carry)
		goto nomem;
	return 0;

nomem:
	vio_err(err, "Cannot allocate the mirror state");
	return -ENOMEM;
}

/* Tolerates a partially initialised mirror. */
void vio_mirror_exit(struct vio_c *vc)
{
	struct vio_mirror *m = vc->mirror;
	unsigned int i;

	if (!m)
		return;
	if (m->wq) {
		WRITE_ONCE(m->stopping, true);
		cancel_work_sync(&m->resync_work);
		destroy_workqueue(m->wq);	/* drains retry and events */
	}
	if (m->kc)
		dm_kcopyd_client_destroy(m->kc);
	if (vc->pol) {
		/* What it left stays, but no longer names it. */
		mutex_lock(&vc->pol->lock);
		if (vc->pol->carry && vc->pol->carry->from == vc)
			vc->pol->carry->from = NULL;
		mutex_unlock(&vc->pol->lock);
	}
	vio_mirror_carry_free(m->carry);
	for (i = 0; i < vc->nr_arrays; i++)
		kvfree(vc->arrays[i].leg.dirty);
	kvfree(m->wr_inflight);
	kvfree(m->unreadable);
	kfree(m);
	vc->mirror = NULL;
}

/* No resync while suspended: it would hold writes that suspend waits for. */
void vio_mirror_presuspend(struct vio_c *vc)
{
	struct vio_mirror *m = vc->mirror;

	WRITE_ONCE(m->stopping, true);
	cancel_work_sync(&m->resync_work);
}

/* A resync that stalled on unreadable regions tries them again. */
static void vio_resync_retry(struct vio_c *vc)
{
	struct vio_mirror *m = vc->mirror;
	unsigned int i;

	lockdep_assert_held(&m->lock);
	bitmap_zero(m->unreadable, m->nr_regions);
	for (i = 0; i < vc->nr_arrays; i++)
		WRITE_ONCE(vc->arrays[i].leg.stalled, false);
}

void vio_mirror_resume(struct vio_c *vc)
{
	struct vio_mirror *m = vc->mirror;

	spin_lock_irq(&m->lock);
	vio_resync_retry(vc);
	spin_unlock_irq(&m->lock);
	WRITE_ONCE(m->stopping, false);
	if (vio_resync_leg(vc) >= 0)
		queue_work(m->wq, &m->resync_work);
}

/* ---------------------------------------------------------------------- */
/* Status and messages */

/*
 * After the arrays, for a mirror:
 *   <selector> <region_sectors> <#legs>
 *   [<inflight> <service_us> <weight> <in_sync_regions>/<regions>]...
 *   <fallbacks>
 */
void vio_mirror_status(struct vio_c *vc, char *result, unsigned int maxlen,
		       unsigned int *sz_ptr)
{
	struct vio_mirror *m = vc->mirror;
	unsigned int sz = *sz_ptr, i;

	DMEMIT(" %s %u %u", vio_selectors[READ_ONCE(m->selector)].name,
	       1U << m->region_shift, vc->nr_arrays);
	for (i = 0; i < vc->nr_arrays; i++) {
		struct vio_leg *l = &vc->arrays[i].leg;

		DMEMIT(" %d %llu %u %lu/%lu", atomic_read(&l->inflight),
		       vio_leg_service_us(l),
		       READ_ONCE(l->weight),
		       m->nr_regions - atomic_long_read(&l->nr_dirty),
		       m->nr_regions);
	}
	DMEMIT(" %llu", (unsigned long long)atomic64_read(&m->fallbacks));
	*sz_ptr = sz;
}

static const char * const vio_mirror_verbs[] = {
	"fail", "reinstate", "selector", "weight",
};

bool vio_mirror_is_message(const char *verb)
{
	return match_string(vio_mirror_verbs, ARRAY_SIZE(vio_mirror_verbs),
			    verb) >= 0;
}

static int vio_msg_leg(struct vio_c *vc, const char *word, unsigned int *leg,
		       struct vio_err *err)
{
	if (!word || kstrtouint(word, 10, leg) || *leg >= vc->nr_arrays)
		return vio_err(err, "Invalid array '%.40s' (expected 0 to %u)",
			       word ?: "", vc->nr_arrays - 1);
	return 0;
}

/* Messages: fail <i> | reinstate <i> | selector <name> | weight <i> <w> */
int vio_mirror_message(struct vio_c *vc, unsigned int argc, char **argv,
		       struct vio_err *err)
{
	struct vio_mirror *m = vc->mirror;
	unsigned int leg, w;
	char state;
	int r;

	if (!m)
		return vio_err(err, "Message '%s' applies to mirror volumes only",
			       argv[0]);

	if (!strcmp(argv[0], "selector")) {
		if (argc != 2)
			return vio_err(err,
				       "Usage: selector <round-robin|least-outstanding|service-time>");
		r = vio_selector_find(argv[1]);
		if (r < 0)
			return vio_err(err,
				       "Unknown selector '%.40s' (expected round-robin, least-outstanding or service-time)",
				       argv[1]);
		WRITE_ONCE(m->selector, r);
		/* Round-robin counts from now on, not from the last selector. */
		for (leg = 0; leg < vc->nr_arrays; leg++)
			atomic64_set(&vc->arrays[leg].leg.served, 0);
		return 0;
	}

	if (!strcmp(argv[0], "weight")) {
		if (argc != 3)
			return vio_err(err, "Usage: weight <array> <1-%u>",
				       VIO_LEG_WEIGHT_MAX);
		r = vio_msg_leg(vc, argv[1], &leg, err);
		if (r)
			return r;
		if (kstrtouint(argv[2], 10, &w) || !w || w > VIO_LEG_WEIGHT_MAX)
			return vio_err(err, "Invalid weight '%.40s' (expected 1 to %u)",
				       argv[2], VIO_LEG_WEIGHT_MAX);
		WRITE_ONCE(vc->arrays[leg].leg.weight, w);
		/* Round-robin shares count from now on, at the new weights. */
		for (leg = 0; leg < vc->nr_arrays; leg++)
			atomic64_set(&vc->arrays[leg].leg.served, 0);
		return 0;
	}

	/* fail, reinstate */
	if (argc != 2)
		return vio_err(err, "Usage: %s <array>", argv[0]);
	r = vio_msg_leg(vc, argv[1], &leg, err);
	if (r)
		return r;

	spin_lock_irq(&m->lock);
	state = vc->arrays[leg].leg.state;
	if (!strcmp(argv[0], "fail")) {
		spin_unlock_irq(&m->lock);
		if (state == DM_VIO_ARRAY_FAILED)
			return vio_err(err, "Array %u is already failed", leg);
		if (!vio_mirror_fail_leg(vc, leg, "request"))
			return vio_err(err,
				       "Array %u is the last in-sync leg; failing it would leave no copy to serve",
				       leg);
		return 0;
	}

	if (state == DM_VIO_ARRAY_RECOVERING && vc->arrays[leg].leg.stalled) {
		vio_resync_retry(vc);
		spin_unlock_irq(&m->lock);
		DMINFO("%s: array %u (%s): resync resumed; %ld of %lu regions to go",
		       vio_dev_name(vc), leg, vc->arrays[leg].dev->name,
		       atomic_long_read(&vc->arrays[leg].leg.nr_dirty),
		       m->nr_regions);
		if (!READ_ONCE(m->stopping))
			queue_work(m->wq, &m->resync_work);
		return 0;
	}
	if (state != DM_VIO_ARRAY_FAILED) {
		spin_unlock_irq(&m->lock);
		return vio_err(err, "Array %u is not failed (state %c)", leg, state);
	}
	if (!m->insync) {
		spin_unlock_irq(&m->lock);
		return vio_err(err, "Array %u: no in-sync leg to resync it from", leg);
	}
	vio_leg_set_state(vc, leg, DM_VIO_ARRAY_RECOVERING);
	vio_resync_retry(vc);
	spin_unlock_irq(&m->lock);
	trace_vio_leg_state(vc->devt, leg, DM_VIO_ARRAY_FAILED,
			    DM_VIO_ARRAY_RECOVERING, "reinstate");

	/* Every write that saw the leg failed has marked its regions now. */
	synchronize_rcu();
	DMINFO("%s: array %u (%s) reinstated; resyncing %ld of %lu regions",
	       vio_dev_name(vc), leg, vc->arrays[leg].dev->name,
	       atomic_long_read(&vc->arrays[leg].leg.nr_dirty), m->nr_regions);
	queue_work(m->wq, &m->event_work);
	if (!READ_ONCE(m->stopping))
		queue_work(m->wq, &m->resync_work);
	return 0;
}
