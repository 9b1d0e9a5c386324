// SPDX-License-Identifier: GPL-2.0
/*
 * zcrypt-modexpo: send N RSA mod-expo requests through /dev/z90crypt.
 * The emulated adapters (patches/qemu) do no cryptography and answer with
 * a type 82 error reply, which zcrypt turns into EINVAL. The program
 * checks that every request completes (no hang: alarm) with EINVAL and
 * prints "modexpo: N requests, all EINVAL" on success.
 * Build: s390x-linux-gnu-gcc -static -O2 -o zcrypt-modexpo zcrypt-modexpo.c
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

struct ica_rsa_modexpo {
	unsigned char *inputdata;
	unsigned int inputdatalength;
	unsigned char *outputdata;
	unsigned int outputdatalength;
	unsigned char *b_key;
	unsigned char *n_modulus;
};

#define ZCRYPT_IOCTL_MAGIC 'z'
#define ICARSAMODEXPO _IOC(_IOC_READ | _IOC_WRITE, ZCRYPT_IOCTL_MAGIC, 0x05, 0)
#define LEN 256

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 16, i, fd, bad = 0;
	static unsigned char in[LEN], out[LEN], exp[LEN], mod[LEN];
	struct ica_rsa_modexpo mex = {
		.inputdata = in, .inputdatalength = LEN,
		.outputdata = out, .outputdatalength = LEN,
		.b_key = exp, .n_modulus = mod,
	};

	alarm(60);
	memset(mod, 0xa5, LEN);
	mod[0] = 0xc1;
	mod[LEN - 1] = 0x01;
	exp[LEN - 1] = 0x03;
	in[LEN - 1] = 0x02;
	fd = open("/dev/z90crypt", O_RDWR);
	if (fd < 0) {
		perror("modexpo: open /dev/z90crypt");
		return 2;
	}
	for (i = 0; i < n; i++) {
		int rc = ioctl(fd, ICARSAMODEXPO, &mex);

		if (rc != -1 || errno != EINVAL) {
			printf("modexpo: request %d: rc %d errno %d (%s), want EINVAL\n",
			       i, rc, errno, strerror(errno));
			bad++;
		}
	}
	close(fd);
	if (bad)
		return 1;
	printf("modexpo: %d requests, all EINVAL\n", n);
	return 0;
}
