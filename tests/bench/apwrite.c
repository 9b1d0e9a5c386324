// SPDX-License-Identifier: GPL-2.0
/*
 * apwrite: time sysfs writes inside the test VM (make bench, tests/bench/).
 *
 *   apwrite [-n REPS] [-w WARMUP] [-u UNDO] [-e ERRNO] FILE VALUE
 *
 * Writes VALUE to FILE REPS times. Each repetition opens FILE, reads
 * CLOCK_MONOTONIC, does one write(2), reads the clock again, closes FILE;
 * only the write(2) is timed. With -u, UNDO is written to FILE after every
 * repetition (untimed; it must succeed), so that every timed write starts
 * from the same mask state. WARMUP repetitions (default 2) run first and are
 * not counted. -e NAME: the result every timed write must have ("ok" or an
 * errno name such as EBUSY); a different result fails the run (exit 1).
 *
 * Prints one line:
 *   APWRITE n=REPS res=RESULT:COUNT[,...] min=.. p10=.. med=.. p90=.. max=..
 *   mean=.. (microseconds, 0.1 us) res_ns=CLOCK_GETRES gran_ns=STEP
 * where STEP is the smallest non-zero difference of back-to-back clock
 * reads (clock_getres reports the timer tick on a kernel without high
 * resolution timers, not the granularity of the clock source).
 * Exit status: 0, 1 on an unexpected result, 2 on a usage or undo error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_REPS 100000

static const char *res_name(int err)
{
	switch (err) {
	case 0: return "ok";
	case EBUSY: return "EBUSY";
	case EINVAL: return "EINVAL";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case EADDRINUSE: return "EADDRINUSE";
	case EINTR: return "EINTR";
	case ENODEV: return "ENODEV";
	case ENOMEM: return "ENOMEM";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ENOENT: return "ENOENT";
	default: return "other";
	}
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* one write of val to path: returns 0 or the errno; *ns = time of write(2) */
static int do_write(const char *path, const char *val, double *ns)
{
	size_t len = strlen(val);
	double t0, t1;
	ssize_t r;
	int fd, err = 0;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return errno;
	t0 = now_ns();
	r = write(fd, val, len);
	t1 = now_ns();
	if (r < 0)
		err = errno;
	else if ((size_t)r != len)
		err = EIO;
	close(fd);
	if (ns)
		*ns = t1 - t0;
	return err;
}

/* smallest non-zero step of CLOCK_MONOTONIC seen in back-to-back reads */
static double granularity_ns(void)
{
	double best = 0, a, b;
	int i;

	for (i = 0; i < 200; i++) {
		a = now_ns();
		do
			b = now_ns();
		while (b == a);
		if (!best || b - a < best)
			best = b - a;
	}
	return best;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* nearest-rank percentile of sorted v[0..n-1] */
static double pct(const double *v, int n, int p)
{
	int k = (p * n + 99) / 100;

	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

static void usage(void)
{
	fprintf(stderr,
		"usage: apwrite [-n REPS] [-w WARMUP] [-u UNDO] [-e RESULT] FILE VALUE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *undo = NULL, *expect = NULL, *path, *val;
	int reps = 50, warm = 2, i, c, bad = 0, nres = 0;
	struct { int err; int count; } res[16];
	struct timespec rs;
	double *t, sum = 0;

	while ((c = getopt(argc, argv, "n:w:u:e:")) != -1) {
		switch (c) {
		case 'n': reps = atoi(optarg); break;
		case 'w': warm = atoi(optarg); break;
		case 'u': undo = optarg; break;
		case 'e': expect = optarg; break;
		default: usage();
		}
	}
	if (argc - optind != 2 || reps < 1 || reps > MAX_REPS || warm < 0)
		usage();
	path = argv[optind];
	val = argv[optind + 1];
	t = calloc(reps, sizeof(*t));
	if (!t)
		return 2;
	for (i = -warm; i < reps; i++) {
		double ns;
		int err = do_write(path, val, &ns), uerr = 0, k;

		if (undo)
			uerr = do_write(path, undo, NULL);
		if (uerr) {
			fprintf(stderr, "apwrite: undo '%s' > %s failed: %s\n",
				undo, path, strerror(uerr));
			return 2;
		}
		if (i < 0)
			continue;
		t[i] = ns / 1000.0;
		sum += t[i];
		for (k = 0; k < nres && res[k].err != err; k++)
			;
		if (k == nres && nres < 16) {
			res[nres].err = err;
			res[nres++].count = 0;
		}
		if (k < 16)
			res[k].count++;
		if (expect && strcmp(expect, res_name(err)))
			bad++;
	}
	qsort(t, reps, sizeof(*t), cmp_double);
	clock_getres(CLOCK_MONOTONIC, &rs);
	printf("APWRITE n=%d res=", reps);
	for (i = 0; i < nres; i++)
		printf("%s%s:%d", i ? "," : "", res_name(res[i].err), res[i].count);
	printf(" min=%.1f p10=%.1f med=%.1f p90=%.1f max=%.1f mean=%.1f res_ns=%ld gran_ns=%.0f\n",
	       t[0], pct(t, reps, 10), pct(t, reps, 50), pct(t, reps, 90),
	       t[reps - 1], sum / reps, rs.tv_sec * 1000000000L + rs.tv_nsec,
	       granularity_ns());
	if (bad)
		fprintf(stderr, "apwrite: %d of %d writes of '%s' to %s did not give %s\n",
			bad, reps, val, path, expect);
	return bad ? 1 : 0;
}
