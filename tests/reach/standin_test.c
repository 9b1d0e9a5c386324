// SPDX-License-Identifier: GPL-2.0
/*
 * TEST-ONLY (vfio_ap rig, tests/reach/README.md): vfio_ap with a stand-in
 * attach with no vCPUs (vfio_ap_standin.ko), and the mask-commit window.
 *
 * Does what QEMU does for a vfio-ap device -- open the container
 * (/dev/vfio/vfio), put the mdev's group in it, set the type1 IOMMU, get the
 * device fd -- with the stand-in attach (what KVM's kvm-vfio device does)
 * between the group and the device, and holds the device open while the
 * cases run. Nothing runs in the stand-in: it is a struct kvm without vCPUs.
 *
 * Machine: the emulator's default AP configuration (adapters 0-3, domains
 * 0-7). Before the cases: apmask "-2,-3" and aqmask "-7", so adapters 2
 * and 3 and domain 7 are free for vfio_ap (the VM script sets them).
 *
 * Cases (argv selects, default all; output is TAP):
 *   attach_crycb     attach + open: the mdev's masks reach the stand-in's
 *                    CRYCB, vfio_ap holds a kvm reference and its PQAP hook
 *   apmask_busy_attached  headline: with the stand-in attached, "+2" to
 *                    apmask (adapter 2 assigned) -> EBUSY, masks unchanged,
 *                    queue 02.0003 stays on vfio_ap; the same for "+7" to
 *                    aqmask with a second stand-in on an mdev holding 00.0007
 *   busy_attached    assign/unassign adapter, domain, control domain and
 *                    remove -> EBUSY while attached, matrix unchanged
 *   release_clears   closing the device (release with a struct kvm
 *                    attached): CRYCB cleared, reference and PQAP hook
 *                    dropped, the queue reset (a request enqueued before
 *                    is gone); then detach, unassign and remove succeed
 *   window_adapter   apmask "+3" stopped in the mask-commit window (after
 *                    the commit, before the reprobe): assign_adapter 3
 *                    -> EADDRNOTAVAIL, invariant holds after the reprobe
 *   window_domain    aqmask "+7" stopped in the window: assign_domain 7 on
 *                    an mdev holding adapter 0 -> EADDRNOTAVAIL
 *   race             for STANDIN_RACE_SECS (default 6) s: attach/open/
 *                    close/detach cycles, apmask writes, (un)assigns;
 *                    errnos as expected, invariant at quiescent points,
 *                    no operation stuck longer than 20 s
 * The invariant: no APQN is both reserved by apmask x aqmask and assigned
 * to an mdev.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "kmod/standin_uapi.h"

#define AP "/sys/bus/ap"
#define MATRIX "/sys/devices/vfio_ap/matrix"
#define MTYPE MATRIX "/mdev_supported_types/vfio_ap-passthrough"
#define WINDOW "/sys/module/ap/parameters/test_window"

static int failures;
static int ntest;
static char why[512];

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		snprintf(why, sizeof(why), __VA_ARGS__);		\
		printf("# %s:%d: %s\n", __func__, __LINE__, why);	\
		return -1;						\
	}								\
} while (0)

/* ---- sysfs ---------------------------------------------------------- */

/* write s to path; returns 0 or the errno of the write */
static int wr(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), e = 0;

	if (fd < 0)
		return errno;
	if (write(fd, s, strlen(s)) < 0)
		e = errno;
	close(fd);
	return e;
}

static int rd(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY);
	ssize_t r;

	if (fd < 0)
		return -1;
	r = read(fd, buf, n - 1);
	close(fd);
	if (r < 0)
		return -1;
	buf[r] = 0;
	while (r > 0 && buf[r - 1] == '\n')
		buf[--r] = 0;
	return 0;
}

static int mdev_wr(const char *uuid, const char *attr, const char *fmt, ...)
{
	char p[256], v[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	snprintf(p, sizeof(p), MATRIX "/%s/%s", uuid, attr);
	return wr(p, v);
}

/* 256-bit masks as the AP bus prints them: "0x" + 64 hex digits, bit 0 first */
struct mask { uint8_t b[32]; };

static bool mtest(const struct mask *m, int n) { return m->b[n >> 3] & (0x80 >> (n & 7)); }
static void mset(struct mask *m, int n) { m->b[n >> 3] |= 0x80 >> (n & 7); }

static int read_mask(const char *path, struct mask *m)
{
	char buf[128];
	int i;

	memset(m, 0, sizeof(*m));
	if (rd(path, buf, sizeof(buf)) || strncmp(buf, "0x", 2) || strlen(buf) != 66)
		return -1;
	for (i = 0; i < 32; i++) {
		unsigned int x;

		if (sscanf(buf + 2 + 2 * i, "%2x", &x) != 1)
			return -1;
		m->b[i] = x;
	}
	return 0;
}

/* the mdev's adapters and domains, from its "matrix" attribute */
static int read_matrix(const char *uuid, struct mask *apm, struct mask *aqm)
{
	char p[256], buf[8192], *l, *save;
	unsigned int a, d;

	memset(apm, 0, sizeof(*apm));
	memset(aqm, 0, sizeof(*aqm));
	snprintf(p, sizeof(p), MATRIX "/%s/matrix", uuid);
	if (rd(p, buf, sizeof(buf)))
		return -1;
	for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (sscanf(l, "%x.%x", &a, &d) == 2) {
			mset(apm, a);
			mset(aqm, d);
		} else if (sscanf(l, "%x.", &a) == 1) {
			mset(apm, a);
		} else if (sscanf(l, ".%x", &d) == 1) {
			mset(aqm, d);
		}
	}
	return 0;
}

static char mdevs[4][40];
static int nmdevs;

/* the invariant over the test's mdevs; returns 0 or -1 with why[] set */
static int invariant(void)
{
	struct mask apmask, aqmask, apm, aqm;
	int i, a, d;

	if (read_mask(AP "/apmask", &apmask) || read_mask(AP "/aqmask", &aqmask)) {
		snprintf(why, sizeof(why), "cannot read the masks");
		return -1;
	}
	for (i = 0; i < nmdevs; i++) {
		if (!mdevs[i][0] || read_matrix(mdevs[i], &apm, &aqm))
			continue;
		for (a = 0; a < 256; a++)
			for (d = 0; d < 256; d++)
				if (mtest(&apm, a) && mtest(&aqm, d) &&
				    mtest(&apmask, a) && mtest(&aqmask, d)) {
					snprintf(why, sizeof(why),
						 "invariant violated: APQN %02x.%04x reserved by the masks AND assigned to mdev %s",
						 a, d, mdevs[i]);
					return -1;
				}
	}
	return 0;
}

static const char *mdev_create(int i)
{
	char *u = mdevs[i];
	int e;

	snprintf(u, 40, "5a4d5e00-57a4-4d1e-8000-00000000000%d", i);
	e = wr(MTYPE "/create", u);
	if (e && e != EEXIST) {
		printf("# cannot create mdev %s: %s\n", u, strerror(e));
		u[0] = 0;
		return NULL;
	}
	if (i >= nmdevs)
		nmdevs = i + 1;
	return u;
}

static void mdev_remove(int i)
{
	if (mdevs[i][0])
		mdev_wr(mdevs[i], "remove", "1");
	mdevs[i][0] = 0;
}

static int queue_driver(const char *apqn, char *drv, size_t n)
{
	char p[256], l[256];
	ssize_t r;

	snprintf(p, sizeof(p), AP "/devices/%s/driver", apqn);
	r = readlink(p, l, sizeof(l) - 1);
	if (r < 0) {
		snprintf(drv, n, "(none)");
		return 0;
	}
	l[r] = 0;
	snprintf(drv, n, "%.63s", strrchr(l, '/') ? strrchr(l, '/') + 1 : l);
	return 0;
}

/* ---- QEMU's part: container, group, stand-in attach, device ----------- */

struct vdev {
	int container, group, standin, device;
};

/*
 * Open devices, closed (device, stand-in, group, container) before any
 * mdev is removed: in 5.10 writing "remove" of an mdev blocks, without a
 * timeout, while its VFIO device is open or its group is still in a
 * container (vfio_unregister_group_dev() waits), so it never happens here.
 */
static struct vdev *open_vdevs[4];

static void vdev_close(struct vdev *v)
{
	int i;

	for (i = 0; i < 4; i++)
		if (open_vdevs[i] == v)
			open_vdevs[i] = NULL;
	if (v->device >= 0)
		close(v->device);
	if (v->standin >= 0) {
		ioctl(v->standin, STANDIN_DETACH);
		close(v->standin);
	}
	if (v->group >= 0)
		close(v->group);
	if (v->container >= 0)
		close(v->container);
	v->device = v->standin = v->group = v->container = -1;
}

/* open container + group, attach the stand-in, then the device fd */
static int vdev_open(const char *uuid, struct vdev *v, bool quiet)
{
	char p[256], l[256], *g;
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	ssize_t r;

	v->container = v->group = v->standin = v->device = -1;
	snprintf(p, sizeof(p), MATRIX "/%s/iommu_group", uuid);
	r = readlink(p, l, sizeof(l) - 1);
	if (r < 0)
		goto err;
	l[r] = 0;
	g = strrchr(l, '/') + 1;
	v->container = open("/dev/vfio/vfio", O_RDWR);
	if (v->container < 0 || ioctl(v->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		goto err;
	snprintf(p, sizeof(p), "/dev/vfio/%s", g);
	v->group = open(p, O_RDWR);
	if (v->group < 0 || ioctl(v->group, VFIO_GROUP_GET_STATUS, &gs) ||
	    !(gs.flags & VFIO_GROUP_FLAGS_VIABLE))
		goto err;
	if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container))
		goto err;
	/* vfio_ap's mdevs are type1 "external" (no IOMMU domain) */
	if (ioctl(v->container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU))
		goto err;
	/* KVM's part: kvm-vfio's KVM_DEV_VFIO_GROUP_ADD */
	v->standin = open(STANDIN_DEV, O_RDWR);
	if (v->standin < 0 || ioctl(v->standin, STANDIN_ATTACH, v->group))
		goto err;
	v->device = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, uuid);
	if (v->device < 0)
		goto err;
	for (r = 0; !quiet && r < 4; r++)	/* the race thread closes its own */
		if (!open_vdevs[r]) {
			open_vdevs[r] = v;
			break;
		}
	return 0;
err:
	if (!quiet)
		printf("# vdev_open %s: %s (container %d group %d standin %d)\n",
		       uuid, strerror(errno), v->container, v->group, v->standin);
	vdev_close(v);
	return -1;
}

static int state(struct vdev *v, struct standin_state *st)
{
	return ioctl(v->standin, STANDIN_GET_STATE, st);
}

/* expected CRYCB word 0 for one adapter / one domain (bit 0 = MSB) */
static uint64_t bit64(int n) { return 1ULL << (63 - n); }

/* ---- cases ------------------------------------------------------------ */

static int setup_mdev0(void)
{
	const char *u = mdev_create(0);
	int e;

	CHECK(u, "mdev 0 not created");
	CHECK(!(e = mdev_wr(u, "assign_adapter", "2")), "assign_adapter 2: %s", strerror(e));
	CHECK(!(e = mdev_wr(u, "assign_domain", "3")), "assign_domain 3: %s", strerror(e));
	CHECK(!(e = mdev_wr(u, "assign_control_domain", "3")), "assign_control_domain 3: %s", strerror(e));
	return 0;
}

static int case_attach_crycb(void)
{
	struct standin_state st;
	static struct vdev v;
	int rc = 0;

	if (setup_mdev0())
		return -1;
	CHECK(!vdev_open(mdevs[0], &v, false), "stand-in attach + device open failed");
	if (state(&v, &st)) {
		snprintf(why, sizeof(why), "STANDIN_GET_STATE: %s", strerror(errno));
		rc = -1;
	} else if (st.apm[0] != bit64(2) || st.aqm[0] != bit64(3) || st.adm[0] != bit64(3) ||
		   st.apm[1] | st.aqm[1] | st.adm[1]) {
		snprintf(why, sizeof(why), "CRYCB apm %016llx aqm %016llx adm %016llx, expected %016llx %016llx %016llx",
			 (unsigned long long)st.apm[0], (unsigned long long)st.aqm[0],
			 (unsigned long long)st.adm[0], (unsigned long long)bit64(2),
			 (unsigned long long)bit64(3), (unsigned long long)bit64(3));
		rc = -1;
	} else if (st.users != 2 || !st.pqap_hook) {
		snprintf(why, sizeof(why), "kvm users_count %u (expected 2), PQAP hook %u (expected 1)",
			 st.users, st.pqap_hook);
		rc = -1;
	}
	if (rc)
		printf("# %s\n", why);
	else
		printf("# CRYCB apm %016llx aqm %016llx adm %016llx, users %u, PQAP hook set\n",
		       (unsigned long long)st.apm[0], (unsigned long long)st.aqm[0],
		       (unsigned long long)st.adm[0], st.users);
	vdev_close(&v);
	mdev_remove(0);
	return rc;
}

static int case_apmask_busy_attached(void)
{
	struct mask before, after, qbefore, qafter;
	char drv[64];
	static struct vdev v, v1;
	const char *u1;
	int e, rc = 0;

	if (setup_mdev0())
		return -1;
	u1 = mdev_create(1);
	CHECK(u1, "mdev 1 not created");
	CHECK(!(e = mdev_wr(u1, "assign_adapter", "0")), "assign_adapter 0: %s", strerror(e));
	CHECK(!(e = mdev_wr(u1, "assign_domain", "7")), "assign_domain 7: %s", strerror(e));
	CHECK(!vdev_open(mdevs[0], &v, false), "stand-in attach + device open failed (mdev 0)");
	if (vdev_open(u1, &v1, false)) {
		vdev_close(&v);
		CHECK(0, "stand-in attach + device open failed (mdev 1)");
	}
	read_mask(AP "/apmask", &before);
	read_mask(AP "/aqmask", &qbefore);
	e = wr(AP "/apmask", "+2");
	read_mask(AP "/apmask", &after);
	queue_driver("02.0003", drv, sizeof(drv));
	printf("# stand-in attached to mdev 0 (02.0003): echo +2 > apmask: %s; 02.0003 on %s\n",
	       e ? strerror(e) : "accepted", drv);
	if (e != EBUSY) {
		snprintf(why, sizeof(why), "apmask +2 with the stand-in attached: got %s, expected EBUSY",
			 e ? strerror(e) : "success");
		rc = -1;
	} else if (memcmp(&before, &after, sizeof(before))) {
		snprintf(why, sizeof(why), "apmask changed by a refused write");
		rc = -1;
	} else if (strcmp(drv, "vfio_ap")) {
		snprintf(why, sizeof(why), "queue 02.0003 on %s, expected vfio_ap", drv);
		rc = -1;
	}
	if (!rc) {
		e = wr(AP "/aqmask", "+7");
		read_mask(AP "/aqmask", &qafter);
		queue_driver("00.0007", drv, sizeof(drv));
		printf("# stand-in attached to mdev 1 (00.0007): echo +7 > aqmask: %s; 00.0007 on %s\n",
		       e ? strerror(e) : "accepted", drv);
		if (e != EBUSY) {
			snprintf(why, sizeof(why), "aqmask +7 with the stand-in attached: got %s, expected EBUSY",
				 e ? strerror(e) : "success");
			rc = -1;
		} else if (memcmp(&qbefore, &qafter, sizeof(qbefore)) || strcmp(drv, "vfio_ap")) {
			snprintf(why, sizeof(why), "aqmask changed or 00.0007 left vfio_ap (%s)", drv);
			rc = -1;
		}
	}
	if (!rc && invariant())
		rc = -1;
	if (rc)
		printf("# %s\n", why);
	/* undo an accepted write (kernel without the protection) */
	if (memcmp(&before, &after, sizeof(before)))
		wr(AP "/apmask", "-2");
	wr(AP "/aqmask", "-7");
	vdev_close(&v1);
	vdev_close(&v);
	mdev_remove(1);
	mdev_remove(0);
	return rc;
}

static int case_busy_attached(void)
{
	static const struct { const char *attr, *val; } ops[] = {
		{ "assign_adapter", "3" }, { "assign_domain", "4" },
		{ "assign_control_domain", "5" }, { "unassign_adapter", "2" },
		{ "unassign_domain", "3" }, { "unassign_control_domain", "3" },
		/*
		 * not "remove": with the device open, 5.10's mdev core blocks
		 * the write until the device is released (see open_vdevs)
		 */
	};
	char m0[8192], m1[8192], p[256];
	static struct vdev v;
	unsigned int i;
	int e, rc = 0;

	if (setup_mdev0())
		return -1;
	CHECK(!vdev_open(mdevs[0], &v, false), "stand-in attach + device open failed");
	snprintf(p, sizeof(p), MATRIX "/%s/matrix", mdevs[0]);
	rd(p, m0, sizeof(m0));
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		e = mdev_wr(mdevs[0], ops[i].attr, ops[i].val);
		printf("# attached: echo %s > %s: %s\n", ops[i].val, ops[i].attr,
		       e ? strerror(e) : "accepted");
		if (e != EBUSY && !rc) {
			snprintf(why, sizeof(why), "%s %s with the stand-in attached: got %s, expected EBUSY",
				 ops[i].attr, ops[i].val, e ? strerror(e) : "success");
			rc = -1;
		}
		if (!e && !strcmp(ops[i].attr, "remove"))
			mdevs[0][0] = 0;	/* removed under the stand-in */
	}
	if (mdevs[0][0]) {
		rd(p, m1, sizeof(m1));
		if (!rc && strcmp(m0, m1)) {
			snprintf(why, sizeof(why), "matrix changed while attached");
			rc = -1;
		}
	}
	if (rc)
		printf("# %s\n", why);
	vdev_close(&v);
	mdev_remove(0);
	return rc;
}

static int case_release_clears(void)
{
	struct standin_queue q = { .apqn = 0x0203 };
	struct standin_state st;
	static struct vdev v;
	int fd, e, rc = 0;

	if (setup_mdev0())
		return -1;
	CHECK(!vdev_open(mdevs[0], &v, false), "stand-in attach + device open failed");
	/* use the queue as a guest would: one request, reply left unread */
	CHECK(!ioctl(v.standin, STANDIN_NQAP, &q), "STANDIN_NQAP: %s", strerror(errno));
	printf("# after NQAP on 02.0003: rc %u queue_empty %u replies_waiting %u\n",
	       q.response_code, q.queue_empty, q.replies_waiting);
	CHECK(q.response_code == 0 && !q.queue_empty,
	      "NQAP on 02.0003 did not leave a request (rc %u, empty %u): the reset would prove nothing",
	      q.response_code, q.queue_empty);
	/* QEMU closes the device: vfio_ap_mdev_release() with a kvm attached */
	close(v.device);
	v.device = -1;
	state(&v, &st);
	q.apqn = 0x0203;
	ioctl(v.standin, STANDIN_TAPQ, &q);
	printf("# after release: CRYCB apm %016llx aqm %016llx adm %016llx users %u hook %u; 02.0003 queue_empty %u replies_waiting %u\n",
	       (unsigned long long)st.apm[0], (unsigned long long)st.aqm[0],
	       (unsigned long long)st.adm[0], st.users, st.pqap_hook, q.queue_empty,
	       q.replies_waiting);
	if (st.apm[0] | st.aqm[0] | st.adm[0]) {
		snprintf(why, sizeof(why), "release left masks in the CRYCB");
		rc = -1;
	} else if (st.users != 1 || st.pqap_hook) {
		snprintf(why, sizeof(why), "release left users_count %u (expected 1) / PQAP hook %u",
			 st.users, st.pqap_hook);
		rc = -1;
	} else if (!q.queue_empty || q.replies_waiting) {
		snprintf(why, sizeof(why), "queue 02.0003 not reset by the release (queue_empty %u, replies_waiting %u)",
			 q.queue_empty, q.replies_waiting);
		rc = -1;
	}
	/* detach (KVM_DEV_VFIO_GROUP_DEL), then the mdev is free again */
	fd = v.standin;
	if (!rc && ioctl(fd, STANDIN_DETACH)) {
		snprintf(why, sizeof(why), "STANDIN_DETACH: %s", strerror(errno));
		rc = -1;
	}
	/*
	 * QEMU closes the group and the container too: 5.10 waits in
	 * vfio_unregister_group_dev() for the group to leave its container
	 * before an mdev can be removed
	 */
	vdev_close(&v);
	if (!rc && (e = mdev_wr(mdevs[0], "unassign_domain", "3"))) {
		snprintf(why, sizeof(why), "unassign_domain after release+detach: %s", strerror(e));
		rc = -1;
	}
	if (!rc && (e = mdev_wr(mdevs[0], "remove", "1"))) {
		snprintf(why, sizeof(why), "remove after release+detach: %s", strerror(e));
		rc = -1;
	}
	if (!rc)
		mdevs[0][0] = 0;
	if (rc)
		printf("# %s\n", why);
	vdev_close(&v);
	mdev_remove(0);
	return rc;
}

/* a mask write stopped in the window; the assign lands inside it */
static int window_case(const char *maskfile, const char *add, const char *undo,
		       const char *pre_attr, const char *pre_val,
		       const char *attr, const char *val, const char *apqn)
{
	char st[32], drv[64];
	const char *u;
	pid_t pid;
	int e, i, status, rc = 0;

	u = mdev_create(2);
	CHECK(u, "mdev 2 not created");
	CHECK(!(e = mdev_wr(u, pre_attr, pre_val)), "%s %s: %s", pre_attr, pre_val, strerror(e));
	CHECK(!access(WINDOW, W_OK), "%s missing: the kernel lacks the test-only window hook (tests/kernel-fixups)", WINDOW);
	CHECK(!(e = wr(WINDOW, "arm")), "arming the window: %s", strerror(e));
	pid = fork();
	if (pid == 0)
		_exit(wr(maskfile, add));
	for (i = 0; i < 1500; i++) {	/* 15 s: TCG on a loaded host is slow */
		rd(WINDOW, st, sizeof(st));
		if (!strcmp(st, "stopped"))
			break;
		usleep(10000);
	}
	if (strcmp(st, "stopped")) {
		wr(WINDOW, "release");
		waitpid(pid, &status, 0);
		CHECK(0, "the write of '%s' to %s never reached the window (state %s)", add, maskfile, st);
	}
	queue_driver(apqn, drv, sizeof(drv));
	e = mdev_wr(u, attr, val);
	printf("# %s '%s' stopped after its commit, %s still on %s: echo %s > %s: %s\n",
	       maskfile, add, apqn, drv, val, attr, e ? strerror(e) : "accepted");
	wr(WINDOW, "release");
	waitpid(pid, &status, 0);
	queue_driver(apqn, drv, sizeof(drv));
	printf("# the write returned %s; after the reprobe %s is on %s\n",
	       WEXITSTATUS(status) ? strerror(WEXITSTATUS(status)) : "0", apqn, drv);
	if (WEXITSTATUS(status)) {
		snprintf(why, sizeof(why), "the mask write failed: %s", strerror(WEXITSTATUS(status)));
		rc = -1;
	} else if (invariant()) {
		rc = -1;
	} else if (strcmp(drv, "vfio_ap") && e == EADDRNOTAVAIL) {
		/* fine: refused, and the queue went to the default driver */
	}
	if (!rc && e != EADDRNOTAVAIL) {
		snprintf(why, sizeof(why), "%s %s inside the window: got %s, expected EADDRNOTAVAIL",
			 attr, val, e ? strerror(e) : "success");
		rc = -1;
	}
	if (rc)
		printf("# %s\n", why);
	mdev_remove(2);
	wr(maskfile, undo);
	return rc;
}

static int case_window_adapter(void)
{
	return window_case(AP "/apmask", "+3", "-3", "assign_domain", "4",
			   "assign_adapter", "3", "03.0004");
}

static int case_window_domain(void)
{
	return window_case(AP "/aqmask", "+7", "-7", "assign_adapter", "0",
			   "assign_domain", "7", "00.0007");
}

/* ---- race ------------------------------------------------------------- */

/*
 * Workers hold it for reading around each operation; the main thread takes
 * it for writing to check the invariant with no operation in flight. It
 * must prefer writers: glibc's default prefers readers, and three workers
 * that re-take it at once starve the main thread for good (seen: the race
 * ran for minutes instead of STANDIN_RACE_SECS, every worker making
 * progress, so the watchdog never fired).
 */
static pthread_rwlock_t quiesce;
static volatile int stop;
static volatile time_t last_progress[4];
static volatile time_t race_deadline;	/* the case itself must end by then */
static struct {
	long attach, attach_fail, apm_ok, apm_busy, asg_ok, asg_busy, asg_na, unasg_ok, unasg_busy,
	     checks, crycb_bad;
	char bad[256];
} rs;
static pthread_mutex_t rs_lock = PTHREAD_MUTEX_INITIALIZER;

static void race_bad(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&rs_lock);
	if (!rs.bad[0]) {
		va_start(ap, fmt);
		vsnprintf(rs.bad, sizeof(rs.bad), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&rs_lock);
}

#define COUNT(f) do { pthread_mutex_lock(&rs_lock); rs.f++; pthread_mutex_unlock(&rs_lock); } while (0)

static void *race_attach(void *arg)
{
	struct standin_state st;
	struct vdev v;

	(void)arg;
	while (!stop) {
		pthread_rwlock_rdlock(&quiesce);
		if (vdev_open(mdevs[0], &v, true)) {
			COUNT(attach_fail);
		} else {
			COUNT(attach);
			if (state(&v, &st) || !(st.apm[0] & bit64(2)) || !(st.aqm[0] & bit64(3)))
				COUNT(crycb_bad);
			vdev_close(&v);
		}
		last_progress[0] = time(NULL);
		pthread_rwlock_unlock(&quiesce);
	}
	return NULL;
}

static void *race_apmask(void *arg)
{
	int e, i = 0;

	(void)arg;
	while (!stop) {
		pthread_rwlock_rdlock(&quiesce);
		switch (i++ % 3) {
		case 0:	/* adapter 2 is always assigned: always refused */
			e = wr(AP "/apmask", "+2");
			if (e == EBUSY)
				COUNT(apm_busy);
			else
				race_bad("apmask +2: got %s, expected EBUSY", e ? strerror(e) : "success");
			if (!e)
				wr(AP "/apmask", "-2");
			break;
		case 1:	/* adapter 3 comes and goes on mdev 0 */
			e = wr(AP "/apmask", "+3");
			if (!e)
				COUNT(apm_ok);
			else if (e == EBUSY)
				COUNT(apm_busy);
			else
				race_bad("apmask +3: unexpected %s", strerror(e));
			break;
		default:
			e = wr(AP "/apmask", "-3");
			if (e)
				race_bad("apmask -3: unexpected %s", strerror(e));
			break;
		}
		last_progress[1] = time(NULL);
		pthread_rwlock_unlock(&quiesce);
	}
	return NULL;
}

static void *race_assign(void *arg)
{
	int e, i = 0;

	(void)arg;
	while (!stop) {
		pthread_rwlock_rdlock(&quiesce);
		if (i++ & 1) {
			e = mdev_wr(mdevs[0], "unassign_adapter", "3");
			if (!e)
				COUNT(unasg_ok);
			else if (e == EBUSY)
				COUNT(unasg_busy);
			else
				race_bad("unassign_adapter 3: unexpected %s", strerror(e));
		} else {
			e = mdev_wr(mdevs[0], "assign_adapter", "3");
			if (!e)
				COUNT(asg_ok);
			else if (e == EBUSY)
				COUNT(asg_busy);
			else if (e == EADDRNOTAVAIL)
				COUNT(asg_na);
			else
				race_bad("assign_adapter 3: unexpected %s", strerror(e));
		}
		last_progress[2] = time(NULL);
		pthread_rwlock_unlock(&quiesce);
	}
	return NULL;
}

static void *watchdog(void *arg)
{
	int i;

	(void)arg;
	for (;;) {
		sleep(1);
		for (i = 0; i < 3; i++)
			if (last_progress[i] && time(NULL) - last_progress[i] > 20) {
				printf("# race: DEADLOCK? worker %d made no progress for 20 s\n", i);
				printf("not ok %d race # a worker is stuck (no progress for 20 s)\n", ntest);
				fflush(stdout);
				_exit(3);
			}
		if (race_deadline && time(NULL) > race_deadline) {
			printf("# race: still running 60 s after its end: the invariant checks cannot get in\n");
			printf("not ok %d race # the case did not end (quiescing starved)\n", ntest);
			fflush(stdout);
			_exit(3);
		}
	}
	return NULL;
}

static int case_race(void)
{
	const char *secs_env = getenv("STANDIN_RACE_SECS");
	int secs = secs_env ? atoi(secs_env) : 6;
	pthread_t t[3], w;
	pthread_rwlockattr_t ra;
	time_t start, end, cap;
	int i, rc = 0, overlap = 0;

	if (setup_mdev0())
		return -1;
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&quiesce, &ra);
	pthread_rwlockattr_destroy(&ra);
	memset(&rs, 0, sizeof(rs));
	stop = 0;
	for (i = 0; i < 3; i++)
		last_progress[i] = time(NULL);
	pthread_create(&w, NULL, watchdog, NULL);
	pthread_create(&t[0], NULL, race_attach, NULL);
	pthread_create(&t[1], NULL, race_apmask, NULL);
	pthread_create(&t[2], NULL, race_assign, NULL);
	start = time(NULL);
	end = start + secs;
	/*
	 * The case means something only once the workers overlapped: an
	 * assign refused while attached, an apmask write refused. A slow
	 * kernel (KASAN under TCG) may need longer than secs for that: go on
	 * until then, up to 60 s more.
	 */
	cap = end + 60;
	race_deadline = cap + 60;
	while (time(NULL) < end || (!overlap && time(NULL) < cap)) {
		usleep(200000);
		pthread_rwlock_wrlock(&quiesce);	/* no operation in flight */
		rs.checks++;
		if (invariant())
			race_bad("%s", why);
		pthread_mutex_lock(&rs_lock);
		overlap = rs.attach && rs.asg_busy && rs.apm_busy;
		pthread_mutex_unlock(&rs_lock);
		pthread_rwlock_unlock(&quiesce);
	}
	stop = 1;
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	if (invariant())
		race_bad("%s", why);
	printf("# race %ld s: attach/open/close/detach %ld (failed %ld, CRYCB wrong %ld); apmask ok %ld ebusy %ld; assign ok %ld ebusy %ld eaddrnotavail %ld; unassign ok %ld ebusy %ld; invariant checks %ld\n",
	       (long)(time(NULL) - start), rs.attach, rs.attach_fail, rs.crycb_bad, rs.apm_ok, rs.apm_busy, rs.asg_ok,
	       rs.asg_busy, rs.asg_na, rs.unasg_ok, rs.unasg_busy, rs.checks);
	if (rs.bad[0]) {
		snprintf(why, sizeof(why), "%s", rs.bad);
		rc = -1;
	} else if (rs.attach_fail || rs.crycb_bad) {
		snprintf(why, sizeof(why), "%ld attach/open cycles failed, %ld saw a wrong CRYCB",
			 rs.attach_fail, rs.crycb_bad);
		rc = -1;
	} else if (!rs.attach || !rs.asg_busy || !rs.apm_busy) {
		snprintf(why, sizeof(why), "the race did not overlap (attach %ld, assign EBUSY %ld)",
			 rs.attach, rs.asg_busy);
		rc = -1;
	}
	if (rc)
		printf("# %s\n", why);
	wr(AP "/apmask", "-3");
	mdev_remove(0);
	return rc;
}

static const struct { const char *name; int (*fn)(void); } cases[] = {
	{ "attach_crycb", case_attach_crycb },
	{ "apmask_busy_attached", case_apmask_busy_attached },
	{ "busy_attached", case_busy_attached },
	{ "release_clears", case_release_clears },
	{ "window_adapter", case_window_adapter },
	{ "window_domain", case_window_domain },
	{ "race", case_race },
};

int main(int argc, char **argv)
{
	unsigned int i;
	int j, n = 0, sel;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sel = argc < 2;
		for (j = 1; j < argc; j++)
			sel |= !strcmp(argv[j], cases[i].name);
		n += sel;
	}
	printf("TAP version 13\n1..%d\n", n);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sel = argc < 2;
		for (j = 1; j < argc; j++)
			sel |= !strcmp(argv[j], cases[i].name);
		if (!sel)
			continue;
		ntest++;
		why[0] = 0;
		printf("# RUN %s\n", cases[i].name);
		if (cases[i].fn()) {
			failures++;
			printf("not ok %d %s # %s\n", ntest, cases[i].name, why);
			/* leave nothing behind: devices first, then mdevs */
			for (j = 0; j < 4; j++)
				if (open_vdevs[j])
					vdev_close(open_vdevs[j]);
			for (j = 0; j < 4; j++)
				mdev_remove(j);
		} else {
			printf("ok %d %s\n", ntest, cases[i].name);
		}
	}
	printf("# standin_test: %d passed, %d failed\n", ntest - failures, failures);
	return failures ? 1 : 0;
}
