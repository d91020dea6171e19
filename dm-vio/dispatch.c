// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vio: QoS in the bio path: charge, defer, dispatch.
 *
 * vio_qos_map() runs in the map path and never sleeps. A bio whose class
 * and tenant have nothing queued, that conforms to the class's limits and
 * finds a free slot of the volume's depth goes straight on, charged under
 * its class's lock only. Anything else is queued at the tail of its
 * tenant's FIFO (so a flush or FUA write never overtakes a write its
 * tenant issued before it), which joins its class's fair queue, and is
 * left to the dispatcher.
 *
 * The dispatcher is one work item per volume (process context, on a
 * WQ_MEM_RECLAIM workqueue). It asks the scheduler (qos.c) which class
 * goes next, pops the head of that class's first tenant, and submits it
 * with
 * dm_submit_bio_remap(). It runs when a bio is queued, when a dispatched
 * bio completes and frees a slot, and from an hrtimer when the first class
 * waiting for a limit becomes eligible.
 *
 * No bio is lost: a deferred bio is "in flight" for dm until we submit it,
 * so suspend waits for it; presuspend sets ->draining, which makes the
 * dispatcher release every queued bio at once and the map path bypass the
 * queues until resume (the dm-delay approach). Remove suspends first.
 */
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/log2.h>
#include <linux/workqueue.h>

#include "vio.h"
#include "vio_trace.h"

/* Bios dispatched per run of the work item before it yields. */
#define VIO_DISPATCH_BATCH	64

/*
 * The timer for a class waiting on a limit fires up to this much after the
 * class becomes eligible, so that at high rates one wake-up releases a
 * batch instead of one bio. Well inside VIO_QOS_SLACK_NS, so it costs no
 * rate; it adds at most this much to the wait of a bio that waits anyway.
 */
#define VIO_TIMER_BATCH_NS	(1 * NSEC_PER_MSEC)

/* Take one of the volume's depth slots, if one is free. */
static bool vio_slot_get(struct vio_policy *pol)
{
	int n = atomic_read(&pol->inflight);

	do {
		if (n >= (int)READ_ONCE(pol->depth))
			return false;
	} while (!atomic_try_cmpxchg(&pol->inflight, &n, n + 1));
	return true;
}

/* A reserved class's bio went on (@met) or behind its reservation. */
static void vio_res_count(struct vio_class *c, struct vio_tenant *t, bool met)
{
	if (met) {
		this_cpu_inc(c->stats->res_met);
		this_cpu_inc(t->stats->res_met);
	} else {
		this_cpu_inc(c->stats->res_missed);
		this_cpu_inc(t->stats->res_missed);
	}
}

/*
 * Why a bio is queued rather than sent on, for the vio_defer tracepoint.
 * Caller holds sched_lock.
 */
static const char *vio_defer_reason(struct vio_policy *pol,
				    struct vio_class *c, struct vio_tenant *t,
				    const struct vio_req *rq, u64 now)
{
	if (t->nr_queued)
		return "order";		/* its tenant's earlier bios wait */
	if (c->active)
		return "backlog";	/* other tenants of its class wait */
	if (vio_qclass_eligible(&c->qc, rq) > now)
		return "limit";
	if (vio_sched_res_due(&pol->sched, now))
		return "reservation";	/* the next slot is a reservation's */
	return "depth";
}

/**
 * vio_qos_queue - let a bio go now or queue it behind its class's QoS
 * @pol: the volume's policy
 * @t: the bio's tenant
 * @bio: the bio, already remapped to its array
 * @qio: the bio's per-bio QoS state, filled in by vio_qos_map()
 *
 * The part of vio_qos_map() that runs only while QoS is on. Called under
 * rcu_read_lock(). Return: DM_MAPIO_REMAPPED if the bio may go now,
 * DM_MAPIO_SUBMITTED if it was queued.
 */
int vio_qos_queue(struct vio_policy *pol, struct vio_tenant *t,
		  struct bio *bio, struct vio_qio *qio)
{
	struct vio_class *c = qio->cls;
	struct vio_class *put = NULL;
	u64 now = qio->arrival_ns;
	unsigned long flags;
	bool activate, first;

	/* Fast path: nothing ahead of it, within limits, room on the arrays. */
	spin_lock_irqsave(&c->lock, flags);
	if (!c->active && !READ_ONCE(t->nr_queued) && !READ_ONCE(pol->starved) &&
	    vio_qclass_eligible(&c->qc, &qio->req) <= now && vio_slot_get(pol)) {
		/*
		 * Right after a backlog, the class is still owed what a late
		 * dispatch cost it (VIO_QOS_CATCHUP_NS); later it is idle.
		 */
		vio_qclass_charge(&c->qc, &qio->req, now,
				  READ_ONCE(pol->sched.vtime), false,
				  now - c->idle_since < VIO_QOS_CATCHUP_NS);
		spin_unlock_irqrestore(&c->lock, flags);
		vio_stats_add(c->stats, &qio->req);
		qio->counted = true;
		if (vio_qclass_has_res(&c->qc))
			vio_res_count(c, t, true);
		return DM_MAPIO_REMAPPED;
	}
	spin_unlock_irqrestore(&c->lock, flags);

	spin_lock_irqsave(&pol->sched_lock, flags);
	if (t->nr_queued && t->qcls != c) {
		/*
		 * Reclassified with bios still queued in its old class: it
		 * stays there (which holds a reference) until they are gone,
		 * so that its bios keep their order.
		 */
		if (t->qcls != pol->classes[0])
			percpu_ref_get(&t->qcls->ref);
		if (c != pol->classes[0])
			put = c;
		c = t->qcls;
		qio->cls = c;
	}
	if (trace_vio_defer_enabled())
		trace_vio_defer(pol->devt, c->name, bio->bi_iter.bi_sector,
				qio->req.bytes,
				vio_defer_reason(pol, c, t, &qio->req, now));
	spin_lock(&c->lock);
	first = false;
	if (!t->nr_queued) {
		first = vio_qclass_tenant_add(&c->qc, &t->qt, &qio->req,
					      t->qcls != c);
		t->qcls = c;
	}
	bio_list_add(&t->queue, bio);
	WRITE_ONCE(t->nr_queued, t->nr_queued + 1);
	WRITE_ONCE(c->nr_queued, c->nr_queued + 1);
	activate = !c->active;
	c->active = true;
	if (activate)
		vio_sched_activate(&pol->sched, &c->qc, &qio->req, now);
	else if (first)
		vio_sched_rehead(&pol->sched, &c->qc, &qio->req, now);
	spin_unlock(&c->lock);
	atomic_inc(&pol->queued);
	spin_unlock_irqrestore(&pol->sched_lock, flags);

	vio_stats_add(c->stats, &qio->req);
	if (put)
		percpu_ref_put(&put->ref);
	queue_work(pol->wq, &pol->dispatch);
	return DM_MAPIO_SUBMITTED;
}

/*
 * The head bio of the class's first tenant leaves its queue; @next is the
 * class's new head request if it has one. Caller holds sched_lock and
 * c->lock.
 */
static struct bio *vio_class_pop(struct vio_policy *pol, struct vio_class *c,
				 struct vio_req *next, u64 now)
{
	struct vio_qtenant *qt = vio_qclass_tenant_first(&c->qc);
	struct vio_tenant *t = container_of(qt, struct vio_tenant, qt);
	struct bio *bio = bio_list_pop(&t->queue);
	struct bio *head = bio_list_peek(&t->queue);

	WRITE_ONCE(t->nr_queued, t->nr_queued - 1);
	vio_qclass_tenant_served(&c->qc, qt, head ? &vio_bio_qio(head)->req : NULL);
	WRITE_ONCE(c->nr_queued, c->nr_queued - 1);
	atomic_dec(&pol->queued);
	qt = vio_qclass_tenant_first(&c->qc);
	if (qt) {
		*next = qt->head;
	} else {
		c->active = false;
		c->idle_since = now;
	}
	return bio;
}

static void vio_dispatched(struct vio_class *c, struct bio *bio, u64 now,
			   bool reserved)
{
	struct vio_qio *qio = vio_bio_qio(bio);

	trace_vio_dispatch(c->pol->devt, c->name, bio->bi_iter.bi_sector,
			   now - qio->arrival_ns, reserved);
	this_cpu_inc(c->stats->throttled);
	this_cpu_add(c->stats->throttled_ns, now - qio->arrival_ns);
	this_cpu_inc(qio->tenant->stats->throttled);
	this_cpu_add(qio->tenant->stats->throttled_ns, now - qio->arrival_ns);
}

/* Suspending: every queued bio goes now, in each class's order. */
static void vio_drain_all(struct vio_policy *pol, struct bio_list *out)
{
	struct vio_pick pick;
	struct vio_req next;
	u64 now = ktime_get_ns();

	/* U64_MAX: every waiting class counts as eligible. */
	while ((pick = vio_sched_pick(&pol->sched, U64_MAX)).c) {
		struct vio_class *c = container_of(pick.c, struct vio_class, qc);
		struct bio *bio;

		spin_lock(&c->lock);
		bio = vio_class_pop(pol, c, &next, now);
		vio_sched_remove(&pol->sched, &c->qc);
		if (c->active)
			vio_sched_activate(&pol->sched, &c->qc, &next, now);
		spin_unlock(&c->lock);
		vio_dispatched(c, bio, now, false);
		bio_list_add(out, bio);
	}
}

static void vio_dispatch_work(struct work_struct *work)
{
	struct vio_policy *pol = container_of(work, struct vio_policy, dispatch);
	struct bio_list out = BIO_EMPTY_LIST;
	unsigned int n = 0;
	bool again = false;
	u64 wake = 0;
	struct bio *bio;
	u64 now;

	spin_lock_irq(&pol->sched_lock);
	now = ktime_get_ns();
	if (READ_ONCE(pol->draining)) {
		vio_drain_all(pol, &out);
		WRITE_ONCE(pol->starved, false);
		goto unlock;
	}
	while (n < VIO_DISPATCH_BATCH) {
		struct vio_pick pick = vio_sched_pick(&pol->sched, now);
		struct vio_class *c;
		struct vio_req next;
		bool met;

		if (!pick.c) {
			wake = pick.wake;
			WRITE_ONCE(pol->starved, false);
			break;
		}
		if (!vio_slot_get(pol)) {
			/* Completions will run us again. */
			WRITE_ONCE(pol->starved, true);
			break;
		}
		c = container_of(pick.c, struct vio_class, qc);
		spin_lock(&c->lock);
		bio = vio_class_pop(pol, c, &next, now);
		met = vio_sched_dispatched(&pol->sched, &c->qc, pick.reserved, now,
					   c->active ? &next : NULL);
		spin_unlock(&c->lock);

		vio_bio_qio(bio)->counted = true;
		if (vio_qclass_has_res(&c->qc))
			vio_res_count(c, vio_bio_qio(bio)->tenant, met);
		vio_dispatched(c, bio, now, pick.reserved);
		bio_list_add(&out, bio);
		n++;
	}
	again = n == VIO_DISPATCH_BATCH;
unlock:
	spin_unlock_irq(&pol->sched_lock);

	if (wake)
		hrtimer_start_range_ns(&pol->timer, ns_to_ktime(wake + VIO_TIMER_BATCH_NS),
				       VIO_TIMER_BATCH_NS, HRTIMER_MODE_ABS);
	while ((bio = bio_list_pop(&out)))
		vio_submit_deferred(bio);
	if (again)
		queue_work(pol->wq, &pol->dispatch);
}

static enum hrtimer_restart vio_timer_fn(struct hrtimer *timer)
{
	struct vio_policy *pol = container_of(timer, struct vio_policy, timer);

	queue_work(pol->wq, &pol->dispatch);
	return HRTIMER_NORESTART;
}

/* Presuspend: release what is queued and stop queueing until resume. */
void vio_qos_drain(struct vio_policy *pol)
{
	WRITE_ONCE(pol->draining, true);
	queue_work(pol->wq, &pol->dispatch);
	flush_work(&pol->dispatch);
}

void vio_qos_undrain(struct vio_policy *pol)
{
	WRITE_ONCE(pol->draining, false);
}

int vio_qos_init(struct vio_policy *pol)
{
	spin_lock_init(&pol->sched_lock);
	vio_sched_init(&pol->sched);
	INIT_WORK(&pol->dispatch, vio_dispatch_work);
	hrtimer_init(&pol->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	pol->timer.function = vio_timer_fn;
	pol->wq = alloc_workqueue("kviod/%s", WQ_MEM_RECLAIM | WQ_HIGHPRI, 0,
				  pol->name);
	return pol->wq ? 0 : -ENOMEM;
}

/* The device is gone: nothing can be queued any more. */
void vio_qos_exit(struct vio_policy *pol)
{
	if (!pol->wq)
		return;
	hrtimer_cancel(&pol->timer);
	cancel_work_sync(&pol->dispatch);
	WARN_ON_ONCE(atomic_read(&pol->queued));
	destroy_workqueue(pol->wq);
	pol->wq = NULL;
}
