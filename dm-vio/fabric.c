// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vio: the simulated fabric and the fan-out of mirrored writes (see
 * fabric.h for the model, pcie.h for the link arithmetic).
 *
 * Per request, with the fabric on: the wire time of its TLPs is reserved
 * on each link of its path with a compare-and-exchange on that link's
 * virtual clock (no lock), in path order: a write crosses the upstream
 * link then its port toward the array; a read's requests do the same and
 * its data comes back over the port and the upstream link. Each hop adds
 * its latency. The request is due when the last reservation ends. If it
 * is due (within VIO_FAB_SLACK_NS), nothing waits ahead of it on its port
 * and the port has a credit, it goes at once; otherwise it joins the
 * port's FIFO. The worker releases FIFO heads that are due and have a
 * credit, and arms the hrtimer for the earliest head still to come; a
 * completion that frees a credit on a port with a queue runs the worker.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/slab.h>

#include "compat.h"
#include "vio.h"
#include "vio_trace.h"

/* A leg's copy of a write; the bio is last (front_pad of the bio set). */
struct vio_fab_clone {
	struct bio *parent;		/* the dm bio */
	unsigned int leg;
	u64 start_ns;
	struct vio_fab_state fab;
	struct bio bio;
};

static void vio_fab_endio(struct bio *clone);

static struct vio_fab_state *vio_fab_state_of(struct bio *bio)
{
	if (bio->bi_end_io == vio_fab_endio)
		return &container_of(bio, struct vio_fab_clone, bio)->fab;
	return &((struct vio_io *)dm_per_bio_data(bio, sizeof(struct vio_io)))->fab;
}

/* Submit a request the fabric held: a clone on behalf of its dm bio. */
static void vio_fab_submit(struct bio *bio)
{
	if (bio->bi_end_io == vio_fab_endio)
		dm_submit_bio_remap(container_of(bio, struct vio_fab_clone, bio)->parent,
				    bio);
	else
		dm_submit_bio_remap(bio, NULL);
}

VISIBLE_IF_KUNIT void vio_link_set(struct vio_link *l,
				   const struct vio_link_params *p)
{
	WRITE_ONCE(l->p.gen, p->gen);
	WRITE_ONCE(l->p.width, p->width);
	WRITE_ONCE(l->p.mps, p->mps);
	WRITE_ONCE(l->p.lat_ns, p->lat_ns);
	WRITE_ONCE(l->p.credits, p->credits);
	WRITE_ONCE(l->ns_per_byte_fp, vio_link_ns_per_byte_fp(p));
}
EXPORT_SYMBOL_IF_KUNIT(vio_link_set);

void vio_link_get(const struct vio_link *l, struct vio_link_params *p)
{
	p->gen = READ_ONCE(l->p.gen);
	p->width = READ_ONCE(l->p.width);
	p->mps = READ_ONCE(l->p.mps);
	p->lat_ns = READ_ONCE(l->p.lat_ns);
	p->credits = READ_ONCE(l->p.credits);
}

void vio_link_read_stats(const struct vio_link *l, struct vio_link_stats *s)
{
	int cpu;

	memset(s, 0, sizeof(*s));
	for_each_possible_cpu(cpu) {
		const struct vio_link_stats *c = per_cpu_ptr(l->stats, cpu);

		s->payload_bytes += READ_ONCE(c->payload_bytes);
		s->wire_bytes += READ_ONCE(c->wire_bytes);
		s->tlps += READ_ONCE(c->tlps);
		s->credit_stalls += READ_ONCE(c->credit_stalls);
		s->busy_ns[VIO_LINK_DOWN] += READ_ONCE(c->busy_ns[VIO_LINK_DOWN]);
		s->busy_ns[VIO_LINK_UP] += READ_ONCE(c->busy_ns[VIO_LINK_UP]);
		s->queue_ns += READ_ONCE(c->queue_ns);
		s->requests += READ_ONCE(c->requests);
	}
}

/*
 * Reserve @wire bytes on one direction of @l from @at (ns) on: returns
 * when the last byte is through, plus the hop's latency (ns, rounded up).
 * The clock itself counts 1/2^VIO_CLOCK_SHIFT ns, so back-to-back TLPs
 * shorter than a nanosecond still add up to the link's rate.
 */
VISIBLE_IF_KUNIT u64 vio_link_reserve(struct vio_link *l, int dir, u64 at,
				      u64 wire, u32 tlps, u64 payload)
{
	u64 dur = vio_link_wire_fine(READ_ONCE(l->ns_per_byte_fp), wire);
	u64 at_fine = (at - l->base_ns) << VIO_CLOCK_SHIFT, start, end;
	s64 old = atomic64_read(&l->next_free[dir]);

	do {
		start = max_t(u64, old, at_fine);
	} while (!atomic64_try_cmpxchg(&l->next_free[dir], &old, start + dur));

	this_cpu_add(l->stats->wire_bytes, wire);
	this_cpu_add(l->stats->tlps, tlps);
	this_cpu_add(l->stats->payload_bytes, payload);
	this_cpu_add(l->stats->busy_ns[dir], dur >> VIO_CLOCK_SHIFT);
	this_cpu_add(l->stats->queue_ns, (start - at_fine) >> VIO_CLOCK_SHIFT);
	end = (start + dur + BIT(VIO_CLOCK_SHIFT) - 1) >> VIO_CLOCK_SHIFT;
	return l->base_ns + end + READ_ONCE(l->p.lat_ns);
}
EXPORT_SYMBOL_IF_KUNIT(vio_link_reserve);

static enum vio_xfer_kind vio_bio_xfer(struct bio *bio)
{
	if (!bio_sectors(bio) || op_is_discard(bio_op(bio)) ||
	    bio_op(bio) == REQ_OP_WRITE_ZEROES)
		return VIO_XFER_CMD;
	return op_is_write(bio_op(bio)) ? VIO_XFER_WRITE : VIO_XFER_READ;
}

/* Across the upstream link toward the switch: when the request is there. */
static u64 vio_fabric_upstream(struct vio_fabric *f, enum vio_xfer_kind kind,
			       u64 payload, u64 now)
{
	struct vio_link_params p;
	struct vio_xfer x;

	vio_link_get(&f->up, &p);
	vio_link_xfer(&p, kind, payload, &x);
	this_cpu_inc(f->up.stats->requests);
	return vio_link_reserve(&f->up, VIO_LINK_DOWN, now, x.down_wire,
				x.down_tlps, kind == VIO_XFER_WRITE ? payload : 0);
}

VISIBLE_IF_KUNIT bool vio_credit_get(struct vio_link *port)
{
	int n = atomic_read(&port->inflight), hw;

	do {
		if (n >= (int)READ_ONCE(port->p.credits))
			return false;
	} while (!atomic_try_cmpxchg(&port->inflight, &n, n + 1));
	hw = atomic_read(&port->max_inflight);
	while (n + 1 > hw && !atomic_try_cmpxchg(&port->max_inflight, &hw, n + 1))
		;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(vio_credit_get);

/**
 * vio_fabric_send() - pass a request remapped to an array through the fabric
 * @vc: the volume
 * @bio: the request (a dm bio or a fan-out clone), remapped to @port
 * @fs: its fabric state; fs->t_switch preset by a multicast fan-out
 * @port: the array
 *
 * Never sleeps. Return: true if the caller submits @bio now; false if the
 * fabric holds it and submits it when its transfer is done.
 */
bool vio_fabric_send(struct vio_c *vc, struct bio *bio,
		     struct vio_fab_state *fs, unsigned int port)
{
	struct vio_fabric *f = vc->fab;
	struct vio_link *pl = &f->ports[port];
	enum vio_xfer_kind kind;
	struct vio_link_params p;
	struct vio_xfer x;
	unsigned long flags;
	u64 now, t, payload;

	fs->port = port;
	fs->held = false;
	fs->stalled = false;
	if (!READ_ONCE(f->on) || READ_ONCE(f->draining))
		return true;

	now = ktime_get_ns();
	kind = vio_bio_xfer(bio);
	payload = kind == VIO_XFER_CMD ? 0 : bio->bi_iter.bi_size;
	t = fs->t_switch ?: vio_fabric_upstream(f, kind, payload, now);

	vio_link_get(pl, &p);
	vio_link_xfer(&p, kind, payload, &x);
	this_cpu_inc(pl->stats->requests);
	t = vio_link_reserve(pl, VIO_LINK_DOWN, t, x.down_wire, x.down_tlps,
			     kind == VIO_XFER_WRITE ? payload : 0);
	if (kind == VIO_XFER_READ) {
		/* The data comes back: the port, then the upstream link. */
		t = vio_link_reserve(pl, VIO_LINK_UP, t, x.up_wire, x.up_tlps,
				     payload);
		vio_link_get(&f->up, &p);
		vio_link_xfer(&p, kind, payload, &x);
		t = vio_link_reserve(&f->up, VIO_LINK_UP, t, x.up_wire,
				     x.up_tlps, payload);
	}
	fs->ready_ns = t;

	if (!READ_ONCE(pl->nr_waiting) && t <= now + VIO_FAB_SLACK_NS &&
	    vio_credit_get(pl)) {
		fs->held = true;
		return true;
	}

	trace_vio_fabric_wait(vc->devt, port, t > now ? t - now : 0,
			      t <= now + VIO_FAB_SLACK_NS);
	spin_lock_irqsave(&pl->lock, flags);
	bio_list_add(&pl->waiting, bio);
	pl->nr_waiting++;
	spin_unlock_irqrestore(&pl->lock, flags);
	queue_work(f->wq, &f->work);
	return false;
}

/* A request the fabric sent completed: free its credit. Any context. */
void vio_fabric_done(struct vio_c *vc, struct vio_fab_state *fs)
{
	struct vio_fabric *f = vc->fab;
	struct vio_link *pl;

	if (!fs->held)
		return;
	fs->held = false;
	pl = &f->ports[fs->port];
	atomic_dec(&pl->inflight);
	if (READ_ONCE(pl->nr_waiting))
		queue_work(f->wq, &f->work);
}

static void vio_fabric_work(struct work_struct *work)
{
	struct vio_fabric *f = container_of(work, struct vio_fabric, work);
	/* Suspending, or the fabric was switched off: let everything go. */
	bool draining = READ_ONCE(f->draining) || !READ_ONCE(f->on);
	u64 now = ktime_get_ns(), next = U64_MAX;
	struct bio_list go;
	unsigned int i;
	struct bio *bio;

	bio_list_init(&go);
	for (i = 0; i < f->nr_ports; i++) {
		struct vio_link *pl = &f->ports[i];

		if (!READ_ONCE(pl->nr_waiting))
			continue;
		spin_lock_irq(&pl->lock);
		while ((bio = bio_list_peek(&pl->waiting))) {
			struct vio_fab_state *fs = vio_fab_state_of(bio);

			if (!draining && fs->ready_ns > now + VIO_FAB_SLACK_NS) {
				next = min(next, fs->ready_ns);
				break;
			}
			if (vio_credit_get(pl)) {
				fs->held = true;
			} else if (!draining) {
				if (!fs->stalled) {
					fs->stalled = true;
					this_cpu_inc(pl->stats->credit_stalls);
				}
				break;	/* a completion runs us again */
			}
			bio_list_pop(&pl->waiting);
			pl->nr_waiting--;
			bio_list_add(&go, bio);
		}
		spin_unlock_irq(&pl->lock);
	}

	if (next != U64_MAX)
		hrtimer_start_range_ns(&f->timer, ns_to_ktime(next),
				       VIO_FAB_SLACK_NS / 2, HRTIMER_MODE_ABS);
	while ((bio = bio_list_pop(&go)))
		vio_fab_submit(bio);
}

static enum hrtimer_restart vio_fabric_timer_fn(struct hrtimer *timer)
{
	struct vio_fabric *f = container_of(timer, struct vio_fabric, timer);

	queue_work(f->wq, &f->work);
	return HRTIMER_NORESTART;
}

/* Presuspend: release everything held, and hold nothing until resume. */
void vio_fabric_drain(struct vio_c *vc)
{
	struct vio_fabric *f = vc->fab;

	WRITE_ONCE(f->draining, true);
	queue_work(f->wq, &f->work);
	flush_work(&f->work);
}

void vio_fabric_undrain(struct vio_c *vc)
{
	WRITE_ONCE(vc->fab->draining, false);
}

/* ---------------------------------------------------------------------- */
/* Fan-out */

static void vio_fab_endio(struct bio *clone)
{
	struct vio_fab_clone *fc = container_of(clone, struct vio_fab_clone, bio);
	struct bio *parent = fc->parent;
	struct vio_io *io = dm_per_bio_data(parent, sizeof(*io));

	vio_fabric_done(io->vc, &fc->fab);
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
 * Clones @bio for every leg but the first and sends the clones through
 * the fabric; @bio itself is remapped to the first leg and left for the
 * caller to send (io->fab.t_switch set for a multicast).
 *
 * Return: 0, or -ENOMEM if a clone could not be allocated, in which case
 * nothing was sent and @bio is unchanged.
 */
int vio_fabric_fanout(struct vio_c *vc, struct bio *bio, struct vio_io *io,
		      unsigned long legs, gfp_t gfp)
{
	struct vio_fabric *f = vc->fab;
	struct bio *clones[DM_VIO_MIRROR_MAX_LEGS];
	unsigned int first = __ffs(legs), n = 0, i, k;
	u64 now, t_switch = 0;

	for_each_set_bit(i, &legs, vc->nr_arrays) {
		if (i == first)
			continue;
		clones[n] = bio_alloc_clone(vc->arrays[i].dev->bdev, bio, gfp,
					    &f->bs);
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
	/* Multicast: one crossing of the upstream link for every leg. */
	if (READ_ONCE(f->on) && !READ_ONCE(f->host_mode) &&
	    !READ_ONCE(f->draining))
		t_switch = vio_fabric_upstream(f, VIO_XFER_WRITE,
					       bio->bi_iter.bi_size, now);
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
		fc->fab.t_switch = t_switch;
		clone->bi_iter.bi_sector = a->offset + io->sector;
		clone->bi_end_io = vio_fab_endio;
		bio_inc_remaining(bio);
		atomic_inc(&a->leg.inflight);
		vio_account(a, clone);
		if (vio_fabric_send(vc, clone, &fc->fab, i))
			dm_submit_bio_remap(bio, clone);
	}

	io->array = first;
	io->start_ns = now;
	io->fab.t_switch = t_switch;
	atomic_inc(&vc->arrays[first].leg.inflight);
	bio_set_dev(bio, vc->arrays[first].dev->bdev);
	bio->bi_iter.bi_sector = vc->arrays[first].offset + io->sector;
	vio_account(&vc->arrays[first], bio);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Construction */

static int vio_link_init(struct vio_link *l, const struct vio_link_params *p)
{
	l->stats = alloc_percpu(struct vio_link_stats);
	if (!l->stats)
		return -ENOMEM;
	l->base_ns = ktime_get_ns();
	vio_link_set(l, p);
	spin_lock_init(&l->lock);
	bio_list_init(&l->waiting);
	return 0;
}

int vio_fabric_init(struct vio_c *vc, const struct vio_table_args *args,
		    struct vio_err *err)
{
	struct vio_fabric *f;
	unsigned int i;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		goto nomem;
	vc->fab = f;
	f->on = args->features & VIO_F_FABRIC;
	f->host_mode = args->features & VIO_F_FABRIC_HOST;
	f->nr_ports = vc->nr_arrays;
	INIT_WORK(&f->work, vio_fabric_work);
	hrtimer_init(&f->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	f->timer.function = vio_fabric_timer_fn;

	f->ports = kcalloc(f->nr_ports, sizeof(*f->ports), GFP_KERNEL);
	if (!f->ports || vio_link_init(&f->up, &args->link_up))
		goto nomem;
	for (i = 0; i < f->nr_ports; i++)
		if (vio_link_init(&f->ports[i], &args->link_port[i]))
			goto nomem;
	f->wq = alloc_workqueue("kviofab/%s", WQ_MEM_RECLAIM | WQ_HIGHPRI, 0,
				dm_table_device_name(vc->ti->table));
	if (!f->wq)
		goto nomem;
	if (args->layout == VIO_LAYOUT_MIRROR) {
		if (bioset_init(&f->bs, BIO_POOL_SIZE,
				offsetof(struct vio_fab_clone, bio), 0))
			goto nomem;
		f->bs_ready = true;
	}
	return 0;

nomem:
	vio_err(err, "Cannot allocate the fabric");
	return -ENOMEM;
}

/* Tolerates a partially initialised fabric; nothing is held by then. */
void vio_fabric_exit(struct vio_c *vc)
{
	struct vio_fabric *f = vc->fab;
	unsigned int i;

	if (!f)
		return;
	/* Nothing is held (the table was suspended): neither re-arms the other. */
	hrtimer_cancel(&f->timer);
	if (f->wq) {
		cancel_work_sync(&f->work);
		hrtimer_cancel(&f->timer);
		destroy_workqueue(f->wq);
	}
	if (f->bs_ready)
		bioset_exit(&f->bs);
	free_percpu(f->up.stats);
	for (i = 0; f->ports && i < f->nr_ports; i++)
		free_percpu(f->ports[i].stats);
	kfree(f->ports);
	kfree(f);
	vc->fab = NULL;
}

/* ---------------------------------------------------------------------- */
/* Status, table and messages */

static void vio_link_emit(const char *name, const struct vio_link *l, bool port,
			  char *result, unsigned int maxlen, unsigned int *sz_ptr)
{
	unsigned int sz = *sz_ptr;
	struct vio_link_stats s;

	vio_link_read_stats(l, &s);
	DMEMIT(" %s %llu %llu %llu %llu %llu %llu %llu %d %d", name,
	       s.payload_bytes, s.wire_bytes, s.tlps, s.credit_stalls,
	       div_u64(s.busy_ns[VIO_LINK_DOWN], NSEC_PER_USEC),
	       div_u64(s.busy_ns[VIO_LINK_UP], NSEC_PER_USEC),
	       div_u64(s.queue_ns, NSEC_PER_USEC),
	       port ? atomic_read(&l->inflight) : 0,
	       port ? atomic_read(&l->max_inflight) : 0);
	*sz_ptr = sz;
}

/*
 * At the end of INFO:
 *   fabric <on|off> <multicast|host> <#links>
 *   [<link> <payload_bytes> <wire_bytes> <tlps> <credit_stalls>
 *    <busy_down_us> <busy_up_us> <queue_us> <inflight> <max_inflight>]...
 * with <link> "up", then each port by array index.
 */
void vio_fabric_status(struct vio_c *vc, char *result, unsigned int maxlen,
		       unsigned int *sz_ptr)
{
	struct vio_fabric *f = vc->fab;
	unsigned int sz = *sz_ptr, i;
	char name[12];

	DMEMIT(" fabric %s %s %u", READ_ONCE(f->on) ? "on" : "off",
	       READ_ONCE(f->host_mode) ? "host" : "multicast", f->nr_ports + 1);
	vio_link_emit("up", &f->up, false, result, maxlen, &sz);
	for (i = 0; i < f->nr_ports; i++) {
		snprintf(name, sizeof(name), "%u", i);
		vio_link_emit(name, &f->ports[i], true, result, maxlen, &sz);
	}
	*sz_ptr = sz;
}

/* The table's fabric features, as they are now (nothing when off). */
void vio_fabric_table(struct vio_c *vc, char *result, unsigned int maxlen,
		      unsigned int *sz_ptr)
{
	struct vio_fabric *f = vc->fab;
	unsigned int sz = *sz_ptr, i;
	struct vio_link_params p;
	char spec[96];

	if (!READ_ONCE(f->on))
		return;
	vio_link_get(&f->up, &p);
	vio_link_format(&p, false, spec, sizeof(spec));
	DMEMIT(" " DM_VIO_FEATURE_FABRIC " %u %s", f->nr_ports + 1, spec);
	for (i = 0; i < f->nr_ports; i++) {
		vio_link_get(&f->ports[i], &p);
		vio_link_format(&p, true, spec, sizeof(spec));
		DMEMIT(" %s", spec);
	}
	if (READ_ONCE(f->host_mode))
		DMEMIT(" " DM_VIO_FEATURE_FABRIC_HOST);
	*sz_ptr = sz;
}

/* Feature words the table line needs for the fabric as it is now. */
unsigned int vio_fabric_table_words(struct vio_c *vc)
{
	struct vio_fabric *f = vc->fab;

	if (!READ_ONCE(f->on))
		return 0;
	return 2 + f->nr_ports + 1 + (READ_ONCE(f->host_mode) ? 1 : 0);
}

bool vio_fabric_is_message(const char *verb)
{
	return !strcmp(verb, "fabric") || !strcmp(verb, "link");
}

/* "fabric stats": one line per link, key=value, for scripts. */
void vio_fabric_stats(struct vio_c *vc, const char *prefix, char *result,
		      unsigned int maxlen, unsigned int *psz)
{
	struct vio_fabric *f = vc->fab;
	unsigned int sz = *psz, i;

	for (i = 0; i <= f->nr_ports; i++) {
		const struct vio_link *l = i ? &f->ports[i - 1] : &f->up;
		struct vio_link_params p;
		struct vio_link_stats s;
		char spec[96];

		vio_link_get(l, &p);
		vio_link_format(&p, i, spec, sizeof(spec));
		vio_link_read_stats(l, &s);
		if (i)
			DMEMIT("%sport%u", prefix, i - 1);
		else
			DMEMIT("%sup", prefix);
		DMEMIT(" %s model_bps=%llu requests=%llu", spec,
		       vio_link_bytes_per_sec(&p), s.requests);
		DMEMIT(" payload_bytes=%llu wire_bytes=%llu tlps=%llu",
		       s.payload_bytes, s.wire_bytes, s.tlps);
		DMEMIT(" credit_stalls=%llu busy_down_us=%llu busy_up_us=%llu",
		       s.credit_stalls,
		       div_u64(s.busy_ns[VIO_LINK_DOWN], NSEC_PER_USEC),
		       div_u64(s.busy_ns[VIO_LINK_UP], NSEC_PER_USEC));
		DMEMIT(" queue_us=%llu inflight=%d max_inflight=%d waiting=%u\n",
		       div_u64(s.queue_ns, NSEC_PER_USEC),
		       i ? atomic_read(&l->inflight) : 0,
		       i ? atomic_read(&l->max_inflight) : 0,
		       i ? READ_ONCE(l->nr_waiting) : 0);
	}
	*psz = sz;
}

/*
 * Messages:
 *   fabric on|off
 *   fabric mode multicast|host
 *   fabric stats
 *   link up <spec>         keys given change, the others stay
 *   link <array> <spec>
 */
int vio_fabric_message(struct vio_c *vc, unsigned int argc, char **argv,
		       char *result, unsigned int maxlen, struct vio_err *err)
{
	struct vio_fabric *f = vc->fab;
	struct vio_link_params p;
	struct vio_link *l;
	unsigned int i;
	int r;

	if (!strcmp(argv[0], "fabric")) {
		if (argc == 2 && !strcmp(argv[1], "on")) {
			WRITE_ONCE(f->on, true);
		} else if (argc == 2 && !strcmp(argv[1], "off")) {
			WRITE_ONCE(f->on, false);
			/* Release what is held now. */
			queue_work(f->wq, &f->work);
		} else if (argc == 3 && !strcmp(argv[1], "mode") &&
			   !strcmp(argv[2], "multicast")) {
			WRITE_ONCE(f->host_mode, false);
		} else if (argc == 3 && !strcmp(argv[1], "mode") &&
			   !strcmp(argv[2], "host")) {
			WRITE_ONCE(f->host_mode, true);
		} else if (argc == 2 && !strcmp(argv[1], "stats")) {
			unsigned int sz = 0;

			vio_fabric_stats(vc, "", result, maxlen, &sz);
			return 1;	/* the result buffer holds the answer */
		} else {
			return vio_err(err,
				       "Usage: fabric on|off|stats, fabric mode multicast|host");
		}
		return 0;
	}

	/* link */
	if (argc != 3)
		return vio_err(err, "Usage: link up|<array> <spec>");
	if (!strcmp(argv[1], "up")) {
		l = &f->up;
	} else {
		if (kstrtouint(argv[1], 10, &i) || i >= f->nr_ports)
			return vio_err(err, "Invalid link '%.20s' (expected up or 0 to %u)",
				       argv[1], f->nr_ports - 1);
		l = &f->ports[i];
	}
	vio_link_get(l, &p);
	r = vio_link_parse(argv[2], &p, l != &f->up, err);
	if (r)
		return r;
	vio_link_set(l, &p);
	/* New credits or rates: let the worker look at the queues again. */
	queue_work(f->wq, &f->work);
	return 0;
}
