/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-vio: the simulated PCIe-extension fabric between the host and the
 * arrays: an upstream link (host <-> switch) and one downstream port per
 * array (pcie.h has the link model), and the fan-out of mirrored writes.
 *
 * Every request the volume sends to an array passes vio_fabric_send():
 * its TLPs are charged to the links on its path (virtual clocks, one per
 * link and direction), and the request reaches the array only when its
 * modelled transfer is done and its port has a free credit. Until then
 * it waits in its port's FIFO; a worker and an hrtimer release it. With
 * the fabric off, vio_fabric_send() lets everything through at once.
 *
 * Fan-out: a mirrored write is sent to every writable leg: the bio that
 * dm gave the target serves one leg, a clone of it (sharing its pages)
 * each of the others. The clones hold the dm bio open
 * (bio_inc_remaining()), so dm sees it complete once every leg has; each
 * leg's error is recorded in the per-bio data, and end_io decides from
 * all of them (vio_fanout_verdict()). In multicast mode (the default) the
 * write crosses the upstream link once and the switch copies it to each
 * port; in host mode one copy per leg crosses the upstream link.
 */
#ifndef DM_VIO_FABRIC_H
#define DM_VIO_FABRIC_H

#include <linux/bio.h>
#include <linux/hrtimer.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "pcie.h"

struct vio_c;
struct vio_io;
struct vio_table_args;
struct vio_err;

/* Link directions: toward the arrays, toward the host. */
enum { VIO_LINK_DOWN, VIO_LINK_UP, VIO_LINK_DIRS };

/*
 * Requests due within this much go at once: waking a worker costs more
 * than that, and the virtual clocks keep the rate exact regardless.
 */
#define VIO_FAB_SLACK_NS	(20 * NSEC_PER_USEC)

/* Per-link counters, one copy per CPU. */
struct vio_link_stats {
	u64 payload_bytes;
	u64 wire_bytes;
	u64 tlps;
	u64 credit_stalls;		/* requests that waited for a credit */
	u64 busy_ns[VIO_LINK_DIRS];	/* wire time reserved */
	u64 queue_ns;			/* time waited for the link to be free */
	u64 requests;
};

struct vio_link {
	struct vio_link_params p;	/* fields READ_ONCE; changed by message */
	u64 ns_per_byte_fp;		/* derived from p */
	/* virtual clocks, 1/2^VIO_CLOCK_SHIFT ns since base_ns */
	atomic64_t next_free[VIO_LINK_DIRS];
	u64 base_ns;
	struct vio_link_stats __percpu *stats;
	/* ports only */
	atomic_t inflight;		/* requests at the array */
	atomic_t max_inflight;		/* its high-water mark */
	spinlock_t lock;		/* waiting */
	struct bio_list waiting;	/* in order: for their time or a credit */
	unsigned int nr_waiting;
	struct kobject *kobj;		/* sysfs: vio/fabric/links/<name> */
};

struct vio_fabric {
	bool on;			/* READ_ONCE; off: pass-through */
	bool host_mode;			/* one upstream copy per leg */
	bool draining;			/* suspending: let everything go */
	struct vio_link up;
	unsigned int nr_ports;
	struct vio_link *ports;
	struct hrtimer timer;
	struct work_struct work;
	struct workqueue_struct *wq;
	struct bio_set bs;		/* fan-out clones */
	bool bs_ready;
	struct kobject *kobj;		/* sysfs: vio/fabric */
	struct kobject *links_kobj;	/* sysfs: vio/fabric/links */
};

/* A request's passage through the fabric (per-bio data, clones). */
struct vio_fab_state {
	u64 ready_ns;			/* when its modelled transfer is done */
	u64 t_switch;			/* preset arrival at the switch, or 0 */
	unsigned int port;
	bool held;			/* holds a credit of its port */
	bool stalled;			/* counted as a credit stall */
};

int vio_fabric_init(struct vio_c *vc, const struct vio_table_args *args,
		    struct vio_err *err);
void vio_fabric_exit(struct vio_c *vc);
bool vio_fabric_send(struct vio_c *vc, struct bio *bio,
		     struct vio_fab_state *fs, unsigned int port);
void vio_fabric_done(struct vio_c *vc, struct vio_fab_state *fs);
void vio_fabric_drain(struct vio_c *vc);
void vio_fabric_undrain(struct vio_c *vc);
int vio_fabric_fanout(struct vio_c *vc, struct bio *bio, struct vio_io *io,
		      unsigned long legs, gfp_t gfp);
void vio_link_read_stats(const struct vio_link *l, struct vio_link_stats *s);
void vio_link_get(const struct vio_link *l, struct vio_link_params *p);
#if IS_ENABLED(CONFIG_KUNIT)
void vio_link_set(struct vio_link *l, const struct vio_link_params *p);
u64 vio_link_reserve(struct vio_link *l, int dir, u64 at, u64 wire, u32 tlps,
		     u64 payload);
bool vio_credit_get(struct vio_link *port);
#endif
void vio_fabric_status(struct vio_c *vc, char *result, unsigned int maxlen,
		       unsigned int *sz);
void vio_fabric_table(struct vio_c *vc, char *result, unsigned int maxlen,
		      unsigned int *sz);
unsigned int vio_fabric_table_words(struct vio_c *vc);
bool vio_fabric_is_message(const char *verb);
void vio_fabric_stats(struct vio_c *vc, const char *prefix, char *result,
		      unsigned int maxlen, unsigned int *psz);
int vio_fabric_message(struct vio_c *vc, unsigned int argc, char **argv,
		       char *result, unsigned int maxlen, struct vio_err *err);

/**
 * vio_fanout_verdict() - does a write sent to several legs stand?
 * @sent: legs the write went to
 * @insync: of those, the legs that were in sync when it was sent
 * @errors: legs that returned an error
 * @to_fail: set to the legs to take out of service
 *
 * The write stands if at least one in-sync leg took it; every leg that
 * returned an error then leaves service (its region is marked dirty).
 * If none did, the write fails and no leg is failed for it: there is no
 * better copy to serve from.
 *
 * Return: true if the write succeeded.
 */
static inline bool vio_fanout_verdict(unsigned long sent, unsigned long insync,
				      unsigned long errors,
				      unsigned long *to_fail)
{
	bool ok = sent & insync & ~errors;

	*to_fail = ok ? sent & errors : 0;
	return ok;
}

#endif /* DM_VIO_FABRIC_H */
