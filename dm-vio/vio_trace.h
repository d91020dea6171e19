/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-vio tracepoints: what the target decided, and why.
 *
 *   dm_vio:vio_classify    a tenant gets its class (first sight, rule or
 *                          class change)
 *   dm_vio:vio_defer       QoS holds a bio back, with the reason
 *   dm_vio:vio_dispatch    the dispatcher lets a held bio go
 *   dm_vio:vio_route       a mirror read goes to a leg, with the reason
 *   dm_vio:vio_fabric_wait the fabric holds a request for its link or a
 *                          credit
 *   dm_vio:vio_leg_state   a mirror leg changes state
 *
 * Every event names the dm device (major:minor). Usable with perf,
 * trace-cmd and /sys/kernel/tracing/events/dm_vio/. Strings are fixed
 * arrays (the same layout on every supported kernel).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM dm_vio

#if !defined(_DM_VIO_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _DM_VIO_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(vio_classify,
	    TP_PROTO(dev_t dev, u64 tenant, const char *vm, const char *cls),
	    TP_ARGS(dev, tenant, vm, cls),
	    TP_STRUCT__entry(__field(dev_t, dev)
			     __field(u64, tenant)
			     __array(char, vm, 64)
			     __array(char, cls, 32)),
	    TP_fast_assign(__entry->dev = dev;
			   __entry->tenant = tenant;
			   strscpy(__entry->vm, vm, sizeof(__entry->vm));
			   strscpy(__entry->cls, cls, sizeof(__entry->cls));),
	    TP_printk("%d:%d tenant=%llu vm=%s class=%s",
		      MAJOR(__entry->dev), MINOR(__entry->dev), __entry->tenant,
		      __entry->vm, __entry->cls)
);

TRACE_EVENT(vio_defer,
	    TP_PROTO(dev_t dev, const char *cls, sector_t sector, u32 bytes,
		     const char *reason),
	    TP_ARGS(dev, cls, sector, bytes, reason),
	    TP_STRUCT__entry(__field(dev_t, dev)
			     __array(char, cls, 32)
			     __field(sector_t, sector)
			     __field(u32, bytes)
			     __array(char, reason, 16)),
	    TP_fast_assign(__entry->dev = dev;
			   strscpy(__entry->cls, cls, sizeof(__entry->cls));
			   __entry->sector = sector;
			   __entry->bytes = bytes;
			   strscpy(__entry->reason, reason, sizeof(__entry->reason));),
	    TP_printk("%d:%d class=%s sector=%llu bytes=%u reason=%s",
		      MAJOR(__entry->dev), MINOR(__entry->dev), __entry->cls,
		      (unsigned long long)__entry->sector, __entry->bytes,
		      __entry->reason)
);

TRACE_EVENT(vio_dispatch,
	    TP_PROTO(dev_t dev, const char *cls, sector_t sector, u64 waited_ns,
		     bool reserved),
	    TP_ARGS(dev, cls, sector, waited_ns, reserved),
	    TP_STRUCT__entry(__field(dev_t, dev)
			     __array(char, cls, 32)
			     __field(sector_t, sector)
			     __field(u64, waited_ns)
			     __field(bool, reserved)),
	    TP_fast_assign(__entry->dev = dev;
			   strscpy(__entry->cls, cls, sizeof(__entry->cls));
			   __entry->sector = sector;
			   __entry->waited_ns = waited_ns;
			   __entry->reserved = reserved;),
	    TP_printk("%d:%d class=%s sector=%llu waited_us=%llu schedule=%s",
		      MAJOR(__entry->dev), MINOR(__entry->dev), __entry->cls,
		      (unsigned long long)__entry->sector,
		      __entry->waited_ns / 1000,
		      __entry->reserved ? "reservation" : "weight")
);

TRACE_EVENT(vio_route,
	    TP_PROTO(dev_t dev, sector_t sector, unsigned int leg,
		     const char *selector, const char *why),
	    TP_ARGS(dev, sector, leg, selector, why),
	    TP_STRUCT__entry(__field(dev_t, dev)
			     __field(sector_t, sector)
			     __field(unsigned int, leg)
			     __array(char, selector, 20)
			     __array(char, why, 20)),
	    TP_fast_assign(__entry->dev = dev;
			   __entry->sector = sector;
			   __entry->leg = leg;
			   strscpy(__entry->selector, selector, sizeof(__entry->selector));
			   strscpy(__entry->why, why, sizeof(__entry->why));),
	    TP_printk("%d:%d sector=%llu leg=%u selector=%s candidates=%s",
		      MAJOR(__entry->dev), MINOR(__entry->dev),
		      (unsigned long long)__entry->sector, __entry->leg,
		      __entry->selector, __entry->why)
);

TRACE_EVENT(vio_fabric_wait,
	    TP_PROTO(dev_t dev, unsigned int port, u64 wait_ns, bool credit),
	    TP_ARGS(dev, port, wait_ns, credit),
	    TP_STRUCT__entry(__field(dev_t, dev)
			     __field(unsigned int, port)
			     __field(u64, wait_ns)
			     __field(bool, credit)),
	    TP_fast_assign(__entry->dev = dev;
			   __entry->port = port;
			   __entry->wait_ns = wait_ns;
			   __entry->credit = credit;),
	    TP_printk("%d:%d port=%u wait_us=%llu reason=%s",
		      MAJOR(__entry->dev), MINOR(__entry->dev), __entry->port,
		      __entry->wait_ns / 1000,
		      __entry->credit ? "credits" : "link")
);

TRACE_EVENT(vio_leg_state,
	    TP_PROTO(dev_t dev, unsigned int leg, char from, char to,
		     const char *why),
	    TP_ARGS(dev, leg, from, to, why),
	    TP_STRUCT__entry(__field(dev_t, dev)
			     __field(unsigned int, leg)
			     __field(char, from)
			     __field(char, to)
			     __array(char, why, 20)),
	    TP_fast_assign(__entry->dev = dev;
			   __entry->leg = leg;
			   __entry->from = from;
			   __entry->to = to;
			   strscpy(__entry->why, why, sizeof(__entry->why));),
	    TP_printk("%d:%d leg=%u %c->%c why=%s",
		      MAJOR(__entry->dev), MINOR(__entry->dev), __entry->leg,
		      __entry->from, __entry->to, __entry->why)
);

#endif /* _DM_VIO_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE vio_trace
#include <trace/define_trace.h>
