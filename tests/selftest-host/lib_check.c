// SPDX-License-Identifier: GPL-2.0
/*
 * lib_check: host-side checks of the vfio_ap selftest's library (built
 * with its lib/bits.c and include/vfio_ap.h, run by host-check.sh).
 *   lib_check self-check  a user space model of the 5.10 AP bus mask
 *                         parser against fixed vectors, and the library's
 *                         matrix parser, clear strings and invariant count
 *   lib_check layout      offsets of struct vap_state, for plant.py
 * The model lived in the selftest (--self-check) before; it is a host
 * tool: the selftest's mask_syntax vectors carry their expected effect.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "vfio_ap.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * User space model of the 5.10 AP bus mask parser (ap_parse_mask_str(),
 * hex2bitmap(), modify_bitmap() in drivers/s390/crypto/ap_bus.c), used to
 * compute the expected mask after a write. It is checked against fixed
 * vectors by --self-check and against the kernel by mask_syntax.
 */
static unsigned long long model_strtoul(const char *s, const char **end)
{
	unsigned long long res = 0;
	unsigned int base;

	/* simple_strtoul(s, &end, 0): radix from the prefix, no sign/space */
	if (s[0] == '0')
		base = ((s[1] | 0x20) == 'x' && hexval(s[2]) >= 0) ? 16 : 8;
	else
		base = 10;
	if (base == 16)
		s += 2;
	for (;; s++) {
		int v = hexval(*s);

		if (v < 0 || (unsigned int)v >= base)
			break;
		res = res * base + v;	/* wraps like the kernel */
	}
	*end = s;
	return res;
}

static int model_hex(const char *s, struct bits *n)
{
	unsigned int i, k;

	if (s[0] == '0' && s[1] == 'x')
		s++;
	if (*s == 'x')
		s++;
	for (i = 0; hexval(*s) >= 0 && i < NBITS; s++) {
		int b = hexval(*s);

		for (k = 0; k < 4; k++)
			if (b & (8 >> k))
				bit_set(n, i + k);
		i += 4;
	}
	if (*s == '\n')
		s++;
	return *s ? -EINVAL : 0;
}

static int model_modify(const char *s, struct bits *n)
{
	unsigned long long a, z, i;
	const char *np;
	char sign;

	while (*s) {
		sign = *s++;
		if (sign != '+' && sign != '-')
			return -EINVAL;
		a = model_strtoul(s, &np);
		z = a;
		if (np == s || a >= NBITS)
			return -EINVAL;
		s = np;
		if (*s == '-') {
			z = model_strtoul(++s, &np);
			if (np == s || a > z || z >= NBITS)
				return -EINVAL;
			s = np;
		}
		for (i = a; i <= z; i++) {
			if (sign == '+')
				bit_set(n, i);
			else
				bit_clr(n, i);
		}
		while (*s == ',' || *s == '\n')
			s++;
	}
	return 0;
}

/*
 * Model of a write(2) of @len bytes of @str to apmask/aqmask: returns the
 * expected write() result (bytes or -errno) and updates *m on success.
 */
static long model_mask_write(const char *str, size_t len, struct bits *m)
{
	char buf[PAGE_LIMIT + 1];
	struct bits n;
	int rc;

	if (!len)
		return 0;		/* sysfs_kf_write(): nothing to do */
	if (len > PAGE_LIMIT)
		len = PAGE_LIMIT;	/* kernfs truncates to PAGE_SIZE */
	memcpy(buf, str, len);
	buf[len] = 0;
	if (buf[0] == '+' || buf[0] == '-') {
		n = *m;
		rc = model_modify(buf, &n);
	} else {
		memset(&n, 0, sizeof(n));
		rc = model_hex(buf, &n);
	}
	if (rc)
		return rc;
	*m = n;
	return len;
}

static int self_check(void)
{
	static const struct {
		const char *in;
		const char *start;	/* 64 digits, NULL = all zero */
		long ret;
		const char *want;	/* leading digits of the result */
	} v[] = {
		{ "0x8", NULL, 3, "8000" },
		{ "8\n", NULL, 2, "8000" },
		{ "x0f", NULL, 3, "0f00" },
		{ "0xF", NULL, 3, "f000" },
		{ "0X1", NULL, -EINVAL, "0000" },
		{ "+0", NULL, 2, "8000" },
		{ "+1-3", NULL, 4, "7000" },
		{ "+010", NULL, 4, "0080" },	/* octal 8 */
		{ "+0x10", NULL, 5, "0000800" },
		{ "+08", NULL, -EINVAL, "0000" },
		{ "+0-255,-1", NULL, 9, "bfff" },
		{ "-0", "ffff", 2, "7fff" },
		{ "+1,,+2\n", NULL, 7, "6000" },
		{ "+256", NULL, -EINVAL, "0000" },
		{ "+3-2", NULL, -EINVAL, "0000" },
		{ "+1 ", NULL, -EINVAL, "0000" },
		{ "+1,x", NULL, -EINVAL, "0000" },
		{ "", "ffff", 0, "ffff" },
		{ "\n", "ffff", 1, "0000" },
	};
	struct bits m, s;
	char hex[67], mat[] = "01.0005\n01.0007\n03.0005\n03.0007\n";
	size_t i;
	int fail = 0;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		char start[67] = "0x";
		long r;

		memset(start + 2, '0', 64);
		start[66] = 0;
		if (v[i].start)
			memcpy(start + 2, v[i].start, strlen(v[i].start));
		bits_parse_show(start, &s);
		m = s;
		r = model_mask_write(v[i].in, strlen(v[i].in), &m);
		bits_fmt(&m, hex);
		if (r != v[i].ret || strncmp(hex + 2, v[i].want, strlen(v[i].want)) ||
		    (r < 0 && !bits_eq(&m, &s))) {
			printf("not ok %zu model '%s' -> %ld %s\n", i + 1, v[i].in, r, hex);
			fail = 1;
		} else {
			printf("ok %zu model '%s'\n", i + 1, v[i].in);
		}
	}
	{
		struct bits a, d, e = { { 0 } };
		char buf[256];

		if (matrix_parse(mat, &a, &d) || !bit_test(&a, 1) || !bit_test(&a, 3) ||
		    !bit_test(&d, 5) || !bit_test(&d, 7) || bit_test(&a, 0)) {
			printf("not ok matrix parse\n");
			fail = 1;
		}
		if (matrix_parse("0a.\n", &a, &d) || !bit_test(&a, 10) || !bits_eq(&d, &e) ||
		    matrix_parse(".00ff\n", &a, &d) || !bit_test(&d, 255) ||
		    !matrix_parse("x\n", &a, &d)) {
			printf("not ok matrix parse 2\n");
			fail = 1;
		}
		bit_set(&e, 3);
		bit_set(&e, 4);
		bit_set(&e, 9);
		clear_string(&e, buf);
		if (strcmp(buf, "-3-4,-9")) {
			printf("not ok clear_string '%s'\n", buf);
			fail = 1;
		}
		if (check_invariant(&e, &e, "x", &e, &e, buf, sizeof(buf)) != 9) {
			printf("not ok invariant count\n");
			fail = 1;
		}
	}
	printf("%s\n", fail ? "self-check FAILED" : "self-check passed");
	return fail;
}


int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "layout")) {
		printf("size=%zu magic=%zu version=%zu sizef=%zu ours_apm=%zu rsv_apm=%zu mdev=%zu\n",
		       sizeof(struct vap_state), offsetof(struct vap_state, magic),
		       offsetof(struct vap_state, version), offsetof(struct vap_state, size),
		       offsetof(struct vap_state, ours_apm), offsetof(struct vap_state, rsv_apm),
		       offsetof(struct vap_state, mdev));
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "self-check"))
		return self_check();
	fprintf(stderr, "usage: lib_check self-check|layout\n");
	return 2;
}
