/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-vio: the PCIe link model of the simulated fabric, as pure arithmetic.
 *
 * The fabric is an upstream link (host <-> switch) and one downstream
 * port (switch <-> array) per array. Each link is full duplex: one
 * virtual clock per direction says when that direction is next free. A
 * bio's payload becomes TLPs; their wire bytes (payload plus per-TLP
 * header, data-link and framing overhead) occupy the link for
 * wire bytes / link rate, after whatever was reserved before it.
 *
 * Constants and their sources (PCI Express Base Specification, Rev. 5.0):
 *
 *   generation   rate (GT/s)  encoding    per lane, per direction
 *   1            2.5          8b/10b      250 MB/s       (4.2.1, 4.2.2)
 *   2            5.0          8b/10b      500 MB/s
 *   3            8.0          128b/130b   984.6 MB/s     (4.2.2)
 *   4            16.0         128b/130b   1969.2 MB/s
 *   5            32.0         128b/130b   3938.5 MB/s
 *
 *   TLP header       16 B for a memory request with 64-bit addresses
 *                    (4 DW, 2.2.1), 12 B for a completion (3 DW, 2.2.9)
 *   data link layer  2 B sequence number + 4 B LCRC per TLP (3.6.2)
 *   framing          8b/10b: STP and END symbols, 2 B (4.2.1);
 *                    128b/130b: the 4 B STP token (4.2.2.3.2)
 *   max payload      128 to 4096 B (7.5.3.4, Max_Payload_Size)
 *   max read request 512 B, the reset default of Max_Read_Request_Size
 *                    (7.5.3.4)
 *
 * Not modelled: DLLPs (ACK/NAK, flow-control updates), ECRC, lane skew,
 * replays. A write is a run of posted memory-write TLPs toward the array;
 * a read is header-only read requests toward the array (one per 512 B)
 * and completions with data toward the host (one per max payload of each
 * request's data; completions of different requests are never combined).
 * An empty flush or a discard is one header-only request.
 */
#ifndef DM_VIO_PCIE_H
#define DM_VIO_PCIE_H

#include <linux/types.h>

struct vio_err;

#define VIO_PCIE_GEN_MIN	1
#define VIO_PCIE_GEN_MAX	5
#define VIO_PCIE_MPS_MIN	128
#define VIO_PCIE_MPS_MAX	4096
#define VIO_PCIE_MRRS		512
#define VIO_PCIE_REQ_HDR	16	/* bytes, 4 DW memory request header */
#define VIO_PCIE_CPL_HDR	12	/* bytes, 3 DW completion header */
#define VIO_PCIE_DLL		6	/* bytes, sequence number + LCRC */
#define VIO_PCIE_FRAME_8B10B	2	/* bytes, STP + END */
#define VIO_PCIE_FRAME_128B130B	4	/* bytes, STP token */
#define VIO_PCIE_LAT_MAX_NS	10000000U	/* 10 ms per hop */
#define VIO_PCIE_CREDITS_MAX	4096
/*
 * Virtual clocks count 1/2^8 ns from the table's creation: a 26-byte TLP
 * on Gen5 x16 (0.41 ns) is within 0.5% of its time, and a clock lasts
 * 2^56 ns (2.2 years) before it would wrap.
 */
#define VIO_CLOCK_SHIFT		8

/* Link defaults: a Gen3 x4 link, 256 B payloads, 1 us, 64 requests. */
#define VIO_PCIE_GEN_DEFAULT	3
#define VIO_PCIE_WIDTH_DEFAULT	4
#define VIO_PCIE_MPS_DEFAULT	256
#define VIO_PCIE_LAT_DEFAULT_NS	1000
#define VIO_PCIE_CREDITS_DEFAULT 64

/* A link as configured. */
struct vio_link_params {
	u32 gen;		/* 1 to 5 */
	u32 width;		/* lanes: 1, 2, 4, 8, 16 */
	u32 mps;		/* max payload size, bytes */
	u32 lat_ns;		/* per-hop latency */
	u32 credits;		/* requests in flight (ports only) */
};

/* What a link direction must carry for one request. */
enum vio_xfer_kind {
	VIO_XFER_WRITE,		/* payload toward the array */
	VIO_XFER_READ,		/* requests toward, data toward the host */
	VIO_XFER_CMD,		/* one header-only request (flush, discard) */
};

/* Wire bytes and TLPs of one request, per direction. */
struct vio_xfer {
	u64 down_wire;		/* toward the array */
	u64 up_wire;		/* toward the host */
	u32 down_tlps;
	u32 up_tlps;
	u64 payload;
};

void vio_link_params_default(struct vio_link_params *p);
int vio_link_parse(const char *spec, struct vio_link_params *p,
		   bool port, struct vio_err *err);
int vio_link_format(const struct vio_link_params *p, bool port, char *buf,
		    size_t size);
u64 vio_link_bytes_per_sec(const struct vio_link_params *p);
u64 vio_link_ns_per_byte_fp(const struct vio_link_params *p);
void vio_link_xfer(const struct vio_link_params *p, enum vio_xfer_kind kind,
		   u64 payload, struct vio_xfer *x);
u64 vio_link_wire_ns(u64 ns_per_byte_fp, u64 wire_bytes);
u64 vio_link_wire_fine(u64 ns_per_byte_fp, u64 wire_bytes);
u64 vio_link_model_bps(const struct vio_link_params *p,
		       enum vio_xfer_kind kind, u32 io_bytes);

#endif /* DM_VIO_PCIE_H */
