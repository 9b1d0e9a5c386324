// SPDX-License-Identifier: GPL-2.0
/*
 * fake_ap.so: LD_PRELOAD shim that turns a directory tree (made by
 * host-check.sh) into a crude model of the 5.10 AP bus + vfio_ap sysfs, so
 * vfio_ap_test can be exercised on the build host (x86_64, no VM):
 *   VFIO_AP_SYSFS_ROOT=/tmp/fake LD_PRELOAD=./fake_ap.so ./vfio_ap_test
 * Writes to apmask/aqmask, create, remove and the mdev attributes are
 * emulated (parsing as in ap_bus.c / kstrtoul, binding checks, sharing
 * checks, driver rebinding); reads are plain file reads. State lives in the
 * files, serialised with flock(), so forked processes share it.
 * FAKE_AP_MODE=base   no in-use check (the unpatched 5.10 behaviour)
 * FAKE_AP_MODE=series in-use check + reserved check (default)
 * FAKE_AP_DELAY_US=N  sleep N us inside each emulated write (races)
 * FAKE_AP_AUDIT=FILE  append "path<TAB>data" of every emulated write
 * Model only: no lock order, no lockdep; that needs the VM.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define NB 256
typedef unsigned char bm[NB / 8];

static const char *root;
static size_t rootlen;
static char *tracked[4096];

static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_open)(const char *, int, ...);
static int (*real_close)(int);

static void init(void)
{
	if (real_write)
		return;
	real_write = dlsym(RTLD_NEXT, "write");
	real_open = dlsym(RTLD_NEXT, "open");
	real_close = dlsym(RTLD_NEXT, "close");
	root = getenv("VFIO_AP_SYSFS_ROOT");
	rootlen = root ? strlen(root) : 0;
}

static bool tb(const unsigned char *m, unsigned n) { return n < NB && (m[n >> 3] & (0x80 >> (n & 7))); }
static void sb(unsigned char *m, unsigned n) { m[n >> 3] |= 0x80 >> (n & 7); }
static void cb(unsigned char *m, unsigned n) { m[n >> 3] &= ~(0x80 >> (n & 7)); }
static int hv(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static void p(char *out, const char *fmt, ...)
{
	va_list ap;
	int n = sprintf(out, "%s", root);

	va_start(ap, fmt);
	vsprintf(out + n, fmt, ap);
	va_end(ap);
}

static int rd(const char *path, char *buf, size_t sz)
{
	int fd = real_open(path, O_RDONLY), n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sz - 1);
	real_close(fd);
	buf[n < 0 ? 0 : n] = 0;
	return n;
}

static void wr(const char *path, const char *s)
{
	char tmp[4200];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, getpid());
	fd = real_open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	real_write(fd, s, strlen(s));
	real_close(fd);
	rename(tmp, path);
}

static void load_mask(const char *name, unsigned char *m)
{
	char path[4096], buf[128];
	int i;

	p(path, "/sys/bus/ap/%s", name);
	rd(path, buf, sizeof(buf));
	for (i = 0; i < NB / 8; i++)
		m[i] = hv(buf[2 + 2 * i]) << 4 | hv(buf[3 + 2 * i]);
}

static void save_mask(const char *name, const unsigned char *m)
{
	char path[4096], buf[80];
	int i;

	strcpy(buf, "0x");
	for (i = 0; i < NB / 8; i++)
		sprintf(buf + 2 + 2 * i, "%02x", m[i]);
	strcat(buf, "\n");
	p(path, "/sys/bus/ap/%s", name);
	wr(path, buf);
}

struct mdev { char uuid[40]; bm apm, aqm, adm; };
static struct mdev mdevs[64];
static int nmdev;
static bm qexist_card[NB];	/* qexist_card[a] = bitmap of domains with a queue */
static char qdrv[NB][NB];	/* 1 = vfio_ap, 2 = cex4queue, 0 none */

static void load_all(void)
{
	char path[4096], buf[8192];
	struct dirent *de;
	DIR *d;

	memset(qexist_card, 0, sizeof(qexist_card));
	memset(qdrv, 0, sizeof(qdrv));
	p(path, "/sys/bus/ap/devices");
	d = opendir(path);
	while (d && (de = readdir(d))) {
		unsigned a, q;
		char l[4096], t[256];
		int n;

		if (sscanf(de->d_name, "%2x.%4x", &a, &q) != 2 || strlen(de->d_name) != 7)
			continue;
		sb(qexist_card[a], q);
		p(l, "/sys/bus/ap/devices/%s/driver", de->d_name);
		n = readlink(l, t, sizeof(t) - 1);
		t[n > 0 ? n : 0] = 0;
		qdrv[a][q] = strstr(t, "vfio_ap") ? 1 : n > 0 ? 2 : 0;
	}
	if (d)
		closedir(d);
	nmdev = 0;
	p(path, "/sys/devices/vfio_ap/matrix");
	d = opendir(path);
	while (d && (de = readdir(d))) {
		struct mdev *m;
		char *s;

		if (strlen(de->d_name) != 36)
			continue;
		m = &mdevs[nmdev++];
		memset(m, 0, sizeof(*m));
		strcpy(m->uuid, de->d_name);
		p(path, "/sys/devices/vfio_ap/matrix/%s/matrix", de->d_name);
		rd(path, buf, sizeof(buf));
		for (s = buf; *s; ) {
			unsigned a = 0, q = 0;
			int na = 0, nq = 0;

			while (hv(*s) >= 0) { a = a * 16 + hv(*s++); na++; }
			s++;	/* '.' */
			while (hv(*s) >= 0) { q = q * 16 + hv(*s++); nq++; }
			s++;	/* '\n' */
			if (na) sb(m->apm, a);
			if (nq) sb(m->aqm, q);
		}
		p(path, "/sys/devices/vfio_ap/matrix/%s/control_domains", de->d_name);
		rd(path, buf, sizeof(buf));
		for (s = buf; *s; ) {
			unsigned q = strtoul(s, &s, 16);

			sb(m->adm, q);
			if (*s) s++;
		}
	}
	if (d)
		closedir(d);
}

static void save_mdev(struct mdev *m)
{
	char path[4096], buf[8192];
	unsigned a, q;
	int n = 0, ha = 0, hq = 0;

	for (a = 0; a < NB; a++) ha |= tb(m->apm, a);
	for (q = 0; q < NB; q++) hq |= tb(m->aqm, q);
	buf[0] = 0;
	for (a = 0; a < NB; a++) {
		if (ha && !tb(m->apm, a))
			continue;
		for (q = 0; q < NB; q++) {
			if (hq && !tb(m->aqm, q))
				continue;
			if (ha && hq) n += sprintf(buf + n, "%02x.%04x\n", a, q);
			else if (ha) { n += sprintf(buf + n, "%02x.\n", a); break; }
			else if (hq) n += sprintf(buf + n, ".%04x\n", q);
		}
		if (!ha)
			break;
	}
	p(path, "/sys/devices/vfio_ap/matrix/%s/matrix", m->uuid);
	wr(path, buf);
	n = 0;
	buf[0] = 0;
	for (q = 0; q < NB; q++)
		if (tb(m->adm, q)) n += sprintf(buf + n, "%04x\n", q);
	p(path, "/sys/devices/vfio_ap/matrix/%s/control_domains", m->uuid);
	wr(path, buf);
}

/*
 * FAKE_AP_NODEFAULT=1: no default queue driver is loaded (reserved queues
 * have no driver); with it, FAKE_AP_NOREPROBE=1 models 5.10's
 * __ap_revise_reserved(): a released queue without a driver stays unbound
 * until drivers_probe.
 */
static void rebind(const unsigned char *apm, const unsigned char *aqm)
{
	bool nodef = getenv("FAKE_AP_NODEFAULT"), norep = getenv("FAKE_AP_NOREPROBE");
	char l[4096];
	unsigned a, q;

	for (a = 0; a < NB; a++)
		for (q = 0; q < NB; q++) {
			bool rsv = tb(apm, a) && tb(aqm, q);

			if (!tb(qexist_card[a], q) || (!rsv && norep && !qdrv[a][q]))
				continue;
			p(l, "/sys/bus/ap/devices/%02x.%04x/driver", a, q);
			unlink(l);
			if (!rsv || !nodef)
				symlink(rsv ? "../../../../bus/ap/drivers/cex4queue"
					    : "../../../../bus/ap/drivers/vfio_ap", l);
		}
}

/* drivers_probe: a queue without a driver gets the one the masks say */
static int probe(const char *s)
{
	unsigned a, q;
	bm apm, aqm;
	char l[4096];

	if (sscanf(s, "%2x.%4x", &a, &q) != 2 || a >= NB || q >= NB || !tb(qexist_card[a], q))
		return -ENODEV;
	load_mask("apmask", apm);
	load_mask("aqmask", aqm);
	if (!qdrv[a][q] && !(tb(apm, a) && tb(aqm, q))) {
		p(l, "/sys/bus/ap/devices/%02x.%04x/driver", a, q);
		symlink("../../../../bus/ap/drivers/vfio_ap", l);
	}
	return 0;
}

/* kernel-like parsers */
static unsigned long long pstrtoul(const char *s, const char **end, int *ovf)
{
	unsigned base;
	unsigned long long r = 0;

	*ovf = 0;
	if (s[0] == '0') base = ((s[1] | 0x20) == 'x' && hv(s[2]) >= 0) ? 16 : 8;
	else base = 10;
	if (base == 16) s += 2;
	for (;; s++) {
		int v = hv(*s);

		if (v < 0 || (unsigned)v >= base) break;
		if (r > (~0ULL - v) / base) *ovf = 1;
		r = r * base + v;
	}
	*end = s;
	return r;
}

static int kstrtoul(const char *s, unsigned long long *v)
{
	const char *e, *st;
	int ovf;

	if (*s == '+') s++;
	st = s;
	*v = pstrtoul(s, &e, &ovf);
	if (ovf) return -ERANGE;
	if (e == st) return -EINVAL;
	if (*e == '\n') e++;
	return *e ? -EINVAL : 0;
}

static int parse_mask(const char *s, unsigned char *m)
{
	bm n;
	unsigned i, k;

	if (*s == '+' || *s == '-') {
		memcpy(n, m, sizeof(n));
		while (*s) {
			char sign = *s++;
			unsigned long long a, z;
			const char *e;
			int o;

			if (sign != '+' && sign != '-') return -EINVAL;
			a = z = pstrtoul(s, &e, &o);
			if (e == s || a >= NB) return -EINVAL;
			s = e;
			if (*s == '-') {
				z = pstrtoul(++s, &e, &o);
				if (e == s || a > z || z >= NB) return -EINVAL;
				s = e;
			}
			for (; a <= z; a++) sign == '+' ? sb(n, a) : cb(n, a);
			while (*s == ',' || *s == '\n') s++;
		}
	} else {
		memset(n, 0, sizeof(n));
		if (s[0] == '0' && s[1] == 'x') s++;
		if (*s == 'x') s++;
		for (i = 0; hv(*s) >= 0 && i < NB; s++, i += 4)
			for (k = 0; k < 4; k++)
				if (hv(*s) & (8 >> k)) sb(n, i + k);
		if (*s == '\n') s++;
		if (*s) return -EINVAL;
	}
	memcpy(m, n, sizeof(n));
	return 0;
}

static bool series(void)
{
	const char *m = getenv("FAKE_AP_MODE");

	return !m || strcmp(m, "base");
}

static int mask_write(bool ap, const char *s)
{
	bm apm, aqm, napm, naqm;
	int i, r;
	unsigned a, q;

	load_mask("apmask", apm);
	load_mask("aqmask", aqm);
	memcpy(napm, apm, sizeof(bm));
	memcpy(naqm, aqm, sizeof(bm));
	r = parse_mask(s, ap ? napm : naqm);
	if (r) return r;
	if (series()) {
		for (i = 0; i < nmdev; i++)
			for (a = 0; a < NB; a++)
				for (q = 0; q < NB; q++)
					if (tb(mdevs[i].apm, a) && tb(mdevs[i].aqm, q) &&
					    tb(napm, a) && tb(naqm, q) && !(tb(apm, a) && tb(aqm, q)))
						return -EBUSY;
	}
	if (getenv("FAKE_AP_GUARD")) {
		/* safety audit: only the bits in FAKE_AP_OURS (e.g. "2,3") may change */
		const char *ours = getenv("FAKE_AP_OURS") ?: "2,3";
		unsigned char *o = ap ? apm : aqm, *nw = ap ? napm : naqm;
		bm allowed = { 0 };
		char *e;

		for (const char *c = ours; *c; c = *e ? e + 1 : e)
			sb(allowed, strtoul(c, &e, 10));
		for (a = 0; a < NB; a++)
			if (!tb(allowed, a) && tb(o, a) != tb(nw, a)) {
				FILE *f = fopen(getenv("FAKE_AP_GUARD"), "a");

				if (f) {
					fprintf(f, "%s bit %u changed by '%s'\n",
						ap ? "apmask" : "aqmask", a, s);
					fclose(f);
				}
			}
	}
	save_mask(ap ? "apmask" : "aqmask", ap ? napm : naqm);
	rebind(napm, naqm);
	return 0;
}

static int assign(struct mdev *m, const char *attr, const char *s)
{
	unsigned long long v;
	bm apm, aqm;
	int r, i;
	unsigned a, q;
	bool ad = strstr(attr, "adapter"), ctl = strstr(attr, "control");
	unsigned char *mine = ctl ? m->adm : ad ? m->apm : m->aqm;

	r = kstrtoul(s, &v);
	if (r) return r;
	if (v > 255) return -ENODEV;
	if (ctl && attr[0] == 'u' && getenv("FAKE_AP_HANG"))
		for (;;)
			pause();	/* simulated deadlock (FAKE_AP_HANG=1) */
	if (!strncmp(attr, "unassign", 8)) { cb(mine, v); save_mdev(m); return 0; }
	if (ctl) { sb(mine, v); save_mdev(m); return 0; }
	load_mask("apmask", apm);
	load_mask("aqmask", aqm);
	/* 5.10: bound to vfio_ap */
	{
		unsigned char *other = ad ? m->aqm : m->apm;
		bool any = false, okany = false;

		for (i = 0; i < NB; i++) {
			a = ad ? v : (unsigned)i;
			q = ad ? (unsigned)i : v;
			if (tb(other, i)) {
				any = true;
				if (qdrv[a][q] != 1) return -EADDRNOTAVAIL;
			} else if (qdrv[a][q] == 1) {
				okany = true;
			}
		}
		if (!any && !okany) return -EADDRNOTAVAIL;
		if (series())
			for (i = 0; i < NB; i++)
				if (tb(other, i) && tb(apm, ad ? v : (unsigned)i) && tb(aqm, ad ? (unsigned)i : v))
					return -EADDRNOTAVAIL;
	}
	sb(mine, v);
	for (i = 0; i < nmdev; i++) {
		if (&mdevs[i] == m) continue;
		for (a = 0; a < NB; a++)
			for (q = 0; q < NB; q++)
				if (tb(m->apm, a) && tb(m->aqm, q) && tb(mdevs[i].apm, a) && tb(mdevs[i].aqm, q)) {
					cb(mine, v);
					return -EADDRINUSE;
				}
	}
	save_mdev(m);
	return 0;
}

static const char *const attrs[] = { "assign_adapter", "unassign_adapter", "assign_domain",
	"unassign_domain", "assign_control_domain", "unassign_control_domain", "remove", "matrix",
	"control_domains", NULL };

static int emulate(const char *path, const char *s)
{
	const char *r = path + rootlen;
	const char *mx = "/sys/devices/vfio_ap/matrix/";
	int i;

	if (!strcmp(r, "/sys/bus/ap/apmask")) return mask_write(true, s);
	if (!strcmp(r, "/sys/bus/ap/aqmask")) return mask_write(false, s);
	if (!strcmp(r, "/sys/bus/ap/drivers_probe")) return probe(s);
	if (!strcmp(r, "/sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create")) {
		char d[4096], u[40];
		size_t n = strlen(s);

		if (n < 36 || n > 37) return -EINVAL;
		for (i = 0; i < 36; i++)
			if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-' : hv(s[i]) < 0)
				return -EINVAL;
		memcpy(u, s, 36);
		u[36] = 0;
		for (i = 0; u[i]; i++) u[i] |= 0x20 * (u[i] >= 'A' && u[i] <= 'F');
		p(d, "%s%s", mx, u);
		{	/* built aside and renamed: a kill -9 leaves no half mdev */
			char t[4096];

			snprintf(t, sizeof(t), "%s.new", d);
			if (!access(d, F_OK) || mkdir(t, 0755)) return -EEXIST;
			for (i = 0; attrs[i]; i++) {
				char f[4096];

				snprintf(f, sizeof(f), "%s/%s", t, attrs[i]);
				wr(f, "");
			}
			if (rename(t, d)) return -EEXIST;
		}
		return 0;
	}
	if (!strncmp(r, mx, strlen(mx))) {
		char u[40], d[4096];
		const char *attr;

		memcpy(u, r + strlen(mx), 36);
		u[36] = 0;
		attr = r + strlen(mx) + 37;
		for (i = 0; i < nmdev; i++)
			if (!strcmp(mdevs[i].uuid, u)) break;
		if (i == nmdev) return -ENODEV;
		if (!strcmp(attr, "remove")) {
			unsigned long long v;
			int k;

			if (kstrtoul(s, &v)) return -EINVAL;
			if (!v) return 0;
			for (k = 0; attrs[k]; k++) {
				p(d, "%s%s/%s", mx, u, attrs[k]);
				unlink(d);
			}
			p(d, "%s%s", mx, u);
			return rmdir(d) ? -errno : 0;
		}
		return assign(&mdevs[i], attr, s);
	}
	return -EPERM;
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	int mode, fd;

	init();
	va_start(ap, flags);
	mode = va_arg(ap, int);
	va_end(ap);
	fd = real_open(path, flags, mode);
	if (fd >= 0 && fd < 4096 && root && !strncmp(path, root, rootlen) &&
	    (flags & O_ACCMODE) != O_RDONLY) {
		free(tracked[fd]);
		tracked[fd] = strdup(path);
	}
	return fd;
}

int open64(const char *path, int flags, ...) __attribute__((alias("open")));

int close(int fd)
{
	init();
	if (fd >= 0 && fd < 4096) {
		free(tracked[fd]);
		tracked[fd] = NULL;
	}
	return real_close(fd);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	char path[4096], s[4097], lk[4096];
	int r, l;

	init();
	if (fd < 0 || fd >= 4096 || !tracked[fd])
		return real_write(fd, buf, n);
	if (!n)
		return 0;
	if (n > 4096)
		n = 4096;
	memcpy(s, buf, n);
	s[n] = 0;
	strcpy(path, tracked[fd]);
	if (getenv("FAKE_AP_AUDIT")) {
		/* every emulated sysfs write, for the hostile-input checks */
		FILE *f = fopen(getenv("FAKE_AP_AUDIT"), "a");

		if (f) {
			fprintf(f, "%s\t%.*s\n", path + rootlen, (int)strcspn(s, "\n"), s);
			fclose(f);
		}
	}
	p(lk, "/.lock");
	l = real_open(lk, O_RDWR | O_CREAT, 0644);
	flock(l, LOCK_EX);
	load_all();
	if (getenv("FAKE_AP_DELAY_US"))
		usleep(atoi(getenv("FAKE_AP_DELAY_US")));
	r = emulate(path, s);
	flock(l, LOCK_UN);
	real_close(l);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return n;
}
