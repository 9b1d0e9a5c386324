/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TEST-ONLY. Interface of vfio_ap_standin.ko (tests/reach), shared by the
 * kernel module and the user-space test standin_test. Not part of any
 * product patch series.
 */
#ifndef VFIO_AP_STANDIN_UAPI_H
#define VFIO_AP_STANDIN_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define STANDIN_DEV "/dev/vfio_ap_standin"

/* what the stand-in's struct kvm looks like now */
struct standin_state {
	__u64 apm[4];		/* CRYCB APCB1, as kvm_arch_crypto_set_masks() wrote it */
	__u64 aqm[4];
	__u64 adm[4];
	__u32 users;		/* kvm->users_count: 1 = only the stand-in's own */
	__u32 pqap_hook;	/* 1 if vfio_ap left its PQAP hook in kvm->arch.crypto */
	__u32 attached;		/* 1 between ATTACH and DETACH */
	__u32 crycbd;		/* the CRYCB designation (address | format) */
};

/* the state of one AP queue, from TAPQ */
struct standin_queue {
	__u32 apqn;		/* in: (adapter << 8) | domain */
	__u32 response_code;	/* out */
	__u32 queue_empty;	/* out */
	__u32 replies_waiting;	/* out */
	__u32 irq_enabled;	/* out */
};

#define STANDIN_MAGIC 0xa7
/* arg: the file descriptor of an open VFIO group (int, by value) */
#define STANDIN_ATTACH		_IO(STANDIN_MAGIC, 1)
#define STANDIN_DETACH		_IO(STANDIN_MAGIC, 2)
#define STANDIN_GET_STATE	_IOR(STANDIN_MAGIC, 3, struct standin_state)
/* TAPQ of a queue */
#define STANDIN_TAPQ		_IOWR(STANDIN_MAGIC, 4, struct standin_queue)
/* NQAP one small request to a queue, as a guest would; out: TAPQ after */
#define STANDIN_NQAP		_IOWR(STANDIN_MAGIC, 5, struct standin_queue)
#endif
