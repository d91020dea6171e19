/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-vio: the fabric between the host and the arrays, where one host
 * write becomes several array writes (fan-out).
 *
 * A mirrored write is sent to every writable leg: the bio that dm gave
 * the target serves one leg, a clone of it (sharing its pages) each of
 * the others. The clones hold the dm bio open (bio_inc_remaining()), so
 * dm sees it complete once every leg has; each leg's error is recorded in
 * the bio's per-bio data, and the target's end_io decides from all of
 * them (vio_fanout_verdict()) whether the write stands.
 */
#ifndef DM_VIO_FABRIC_H
#define DM_VIO_FABRIC_H

#include <linux/bio.h>
#include <linux/types.h>

struct vio_c;
struct vio_io;

int vio_fabric_init(struct vio_c *vc);
void vio_fabric_exit(struct vio_c *vc);
int vio_fabric_fanout(struct vio_c *vc, struct bio *bio, struct vio_io *io,
		      unsigned long legs, gfp_t gfp);

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
