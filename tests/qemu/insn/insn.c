/*
 * Instruction-level test of QEMU's emulated AP adapters (patches/qemu):
 * executes PQAP, NQAP and DQAP and checks condition codes, registers and
 * program exceptions. Bare metal, loaded with -kernel; prints TAP on the
 * SCLP ASCII console and ends in a disabled wait.
 *
 * Built three times (scripts/test-qemu.sh) for three QEMU set-ups:
 *   MODE_FULL   -cpu max,ap=on,apqci=on,apft=on -device s390-ap-emu,
 *               adapters=0-1:5,domains=0-2:7,control-domains=0-3,
 *               max-adapter=15,max-domain=15,reply-latency-us=200000,
 *               reset-time-us=500000
 *   MODE_NODEV  -cpu max,ap=on,apqci=on,apft=on (no device: no APQN)
 *   MODE_OFF    -cpu max (no AP facility: operation exceptions)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stdint.h>
#include <stddef.h>

#define PGM_OPERATION       0x01
#define PGM_PRIVILEGED      0x02
#define PGM_SPECIFICATION   0x06

struct ap_ctx {
    uint64_t in[8];
    uint64_t out[8];
    uint32_t cc;
    uint32_t pad;
    uint64_t problem;
};

void insn_pqap(struct ap_ctx *c);
void insn_nqap(struct ap_ctx *c);
void insn_dqap(struct ap_ctx *c);
void insn_nqap_odd(struct ap_ctx *c);
void insn_dqap_zero(struct ap_ctx *c);
int servc(uint32_t cmd, void *sccb);

/* program interruption code recorded by head.S (lowcore 0x300) */
extern volatile uint16_t pgm_code;
#define PGM_CODE pgm_code

/* ---- output: SCLP ASCII console ---- */

static uint8_t sccb[4096] __attribute__((aligned(4096)));

static void *zero(void *p, size_t n)
{
    uint8_t *b = p;

    while (n--) {
        *b++ = 0;
    }
    return p;
}

static size_t slen(const char *s)
{
    size_t n = 0;

    while (s[n]) {
        n++;
    }
    return n;
}

static void sclp_setup(void)
{
    zero(sccb, 64);
    *(uint16_t *)sccb = 8 + 4 + 4 * 4;      /* length */
    *(uint16_t *)(sccb + 10) = 4;           /* mask length */
    sccb[12 + 3] = 0x40;                    /* cp receive: ASCII (0x1a) */
    sccb[16 + 3] = 0x40;                    /* cp send */
    servc(0x00780005, sccb);                /* write event mask */
}

static void puts_raw(const char *s)
{
    size_t n = slen(s), i;

    zero(sccb, 16);
    *(uint16_t *)sccb = 8 + 6 + n;
    *(uint16_t *)(sccb + 8) = 6 + n;        /* event buffer length */
    sccb[10] = 0x1a;                        /* ASCII console data */
    for (i = 0; i < n; i++) {
        sccb[14 + i] = s[i];
    }
    servc(0x00760005, sccb);                /* write event data */
}

static char line[512];
static size_t pos;

static void put(const char *s)
{
    while (*s && pos < sizeof(line) - 2) {
        line[pos++] = *s++;
    }
}

static void put_hex(uint64_t v)
{
    char b[19];
    int i, n = 0;

    b[n++] = '0';
    b[n++] = 'x';
    for (i = 60; i > 0 && !(v >> i); i -= 4) {
        /* skip leading zeros */
    }
    for (; i >= 0; i -= 4) {
        b[n++] = "0123456789abcdef"[(v >> i) & 0xf];
    }
    b[n] = 0;
    put(b);
}

static void put_dec(unsigned int v)
{
    char b[12];
    int n = sizeof(b) - 1;

    b[n] = 0;
    do {
        b[--n] = '0' + v % 10;
        v /= 10;
    } while (v);
    put(b + n);
}

static void flush(void)
{
    line[pos++] = '\n';
    line[pos] = 0;
    puts_raw(line);
    pos = 0;
}

/* ---- TAP ---- */

static int tests, failed;
static int case_ok;
static const char *case_name;

static void begin(const char *name)
{
    case_name = name;
    case_ok = 1;
}

static void check(int cond, const char *what, uint64_t got, uint64_t want)
{
    if (cond || !case_ok) {
        return;     /* report the first failed check of a case only */
    }
    case_ok = 0;
    put("# ");
    put(case_name);
    put(": ");
    put(what);
    put(": got ");
    put_hex(got);
    put(", want ");
    put_hex(want);
    flush();
}

#define EQ(what, got, want) \
    check((uint64_t)(got) == (uint64_t)(want), what, got, want)

static void end(void)
{
    tests++;
    put(case_ok ? "ok " : "not ok ");
    put_dec(tests);
    put(" - ");
    put(case_name);
    flush();
    failed += !case_ok;
}

/* ---- helpers ---- */

static void run(void (*fn)(struct ap_ctx *), struct ap_ctx *c)
{
    PGM_CODE = 0;
    fn(c);
}

static uint64_t qid(unsigned int ap, unsigned int dom)
{
    return (uint64_t)ap << 8 | dom;
}

static uint64_t now_us(void)
{
    uint64_t tod;

    asm volatile("stck %0" : "=Q"(tod) : : "cc");
    return tod >> 12;
}

static __attribute__((unused)) void wait_us(uint64_t us)
{
    uint64_t end = now_us() + us;

    while (now_us() < end) {
        /* busy wait on the TOD clock (QEMU's virtual clock) */
    }
}

static __attribute__((unused)) unsigned int rc_of(struct ap_ctx *c)
{
    return (c->out[1] >> 16) & 0xff;
}

static __attribute__((unused)) struct ap_ctx tapq(unsigned int ap, unsigned int dom, uint64_t flags)
{
    struct ap_ctx c;

    zero(&c, sizeof(c));
    c.in[0] = qid(ap, dom) | flags;
    run(insn_pqap, &c);
    return c;
}

/* expect one program exception from fn with GR0 = gr0 */
static __attribute__((unused)) void expect_pgm(const char *name, void (*fn)(struct ap_ctx *),
                       uint64_t gr0, uint64_t len, int problem,
                       uint16_t code)
{
    static uint8_t buf[64];
    struct ap_ctx c;

    begin(name);
    zero(&c, sizeof(c));
    c.in[0] = gr0;
    c.in[2] = (uint64_t)(uintptr_t)buf;     /* NQAP message / QCI block */
    c.in[3] = len;
    c.in[4] = (uint64_t)(uintptr_t)buf;     /* DQAP buffer */
    c.in[5] = len;
    c.problem = problem;
    run(fn, &c);
    EQ("program interruption code", PGM_CODE, code);
    end();
}

#define QSW_E   0x80000000u
#define QSW_R   0x40000000u
#define T_BIT   (1ULL << 23)
#define F_BIT   (1ULL << 22)
#define NQAP_L  0x40000000ULL
#define DQAP_B  0x80000000ULL

static uint8_t qci[128] __attribute__((aligned(8), unused));

#if defined(MODE_FULL)
static void test_full(void)
{
    static uint8_t msg[16] = { 0, 0x42 };
    static uint8_t rbuf[128];
    struct ap_ctx c;
    uint64_t t0;
    int i;

    begin("QCI: N, Na=15, Nd=15, adapters 0,1,5, domains 0-2,7, "
          "control domains 0-3");
    zero(&c, sizeof(c));
    c.in[0] = 4ULL << 24;
    c.in[2] = (uint64_t)(uintptr_t)qci;
    run(insn_pqap, &c);
    EQ("pgm", PGM_CODE, 0);
    EQ("cc", c.cc, 0);
    EQ("N bit", qci[0] & 0x40, 0x40);
    EQ("Na", qci[4], 15);
    EQ("Nd", qci[5], 15);
    EQ("apm[0]", qci[16], 0xc4);
    EQ("aqm[0]", qci[48], 0xe1);
    EQ("adm[0]", qci[80], 0xf0);
    end();

    begin("TAPQ 01.0002 with T: cc 0, empty, type 13, Nd 15, CCA");
    c = tapq(1, 2, T_BIT);
    EQ("pgm", PGM_CODE, 0);
    EQ("cc", c.cc, 0);
    EQ("GR1 status word", c.out[1], QSW_E);
    EQ("GR2 AP type", (c.out[2] >> 24) & 0xff, 13);
    EQ("GR2 Nd", (c.out[2] >> 16) & 0xff, 15);
    EQ("GR2 CCA+APXA", (c.out[2] >> 32) & 0x12000000u, 0x12000000u);
    end();

    begin("TAPQ 03.0000 (not configured, within Na): cc 3, rc 01");
    c = tapq(3, 0, 0);
    EQ("pgm", PGM_CODE, 0);
    EQ("cc", c.cc, 3);
    EQ("rc", rc_of(&c), 0x01);
    end();

    expect_pgm("TAPQ adapter 16 > Na: specification", insn_pqap,
               qid(16, 0), 0, 0, PGM_SPECIFICATION);
    expect_pgm("TAPQ domain 16 > Nd: specification", insn_pqap,
               qid(0, 16), 0, 0, PGM_SPECIFICATION);
    expect_pgm("TAPQ reserved GR0 bit 47: specification", insn_pqap,
               qid(0, 0) | 0x00010000, 0, 0, PGM_SPECIFICATION);
    expect_pgm("TAPQ with F bit (RAPQ/ZAPQ only): specification", insn_pqap,
               qid(0, 0) | F_BIT, 0, 0, PGM_SPECIFICATION);
    expect_pgm("ZAPQ with T bit: specification", insn_pqap,
               qid(0, 0) | 2ULL << 24 | T_BIT, 0, 0, PGM_SPECIFICATION);
    expect_pgm("RAPQ reserved GR0 bit 42: specification", insn_pqap,
               qid(0, 0) | 1ULL << 24 | 0x00200000, 0, 0,
               PGM_SPECIFICATION);
    expect_pgm("PQAP AQIC (no facility 65): specification", insn_pqap,
               qid(0, 0) | 3ULL << 24, 0, 0, PGM_SPECIFICATION);
    expect_pgm("PQAP QACT: specification", insn_pqap,
               qid(0, 0) | 5ULL << 24, 0, 0, PGM_SPECIFICATION);
    expect_pgm("PQAP function code 0x10: specification", insn_pqap,
               qid(0, 0) | 0x10ULL << 24, 0, 0, PGM_SPECIFICATION);
    expect_pgm("PQAP in problem state: privileged operation", insn_pqap,
               qid(0, 0), 0, 1, PGM_PRIVILEGED);
    expect_pgm("NQAP in problem state: privileged operation", insn_nqap,
               qid(0, 0) | NQAP_L, 16, 1, PGM_PRIVILEGED);
    expect_pgm("DQAP in problem state: privileged operation", insn_dqap,
               qid(0, 0) | DQAP_B, 16, 1, PGM_PRIVILEGED);
    expect_pgm("NQAP zero length: specification", insn_nqap,
               qid(0, 0) | NQAP_L, 0, 0, PGM_SPECIFICATION);
    expect_pgm("DQAP zero length: specification", insn_dqap,
               qid(0, 0) | DQAP_B, 0, 0, PGM_SPECIFICATION);
    expect_pgm("NQAP odd R1: specification", insn_nqap_odd,
               qid(0, 0) | NQAP_L, 16, 0, PGM_SPECIFICATION);
    expect_pgm("DQAP R1 = 0: specification", insn_dqap_zero,
               qid(0, 0) | DQAP_B, 16, 0, PGM_SPECIFICATION);
    expect_pgm("NQAP reserved GR0 bit 40: specification", insn_nqap,
               qid(0, 0) | NQAP_L | 0x00800000, 16, 0, PGM_SPECIFICATION);
    expect_pgm("DQAP reserved GR0 bit 33: specification", insn_dqap,
               qid(0, 0) | 0x40000000, 16, 0, PGM_SPECIFICATION);
    expect_pgm("NQAP domain 16 > Nd: specification", insn_nqap,
               qid(0, 16) | NQAP_L, 16, 0, PGM_SPECIFICATION);

    begin("QCI block not doubleword aligned: specification");
    zero(&c, sizeof(c));
    c.in[0] = 4ULL << 24;
    c.in[2] = (uint64_t)(uintptr_t)qci + 4;
    run(insn_pqap, &c);
    EQ("pgm", PGM_CODE, PGM_SPECIFICATION);
    end();

    /* a request in flight for reply-latency-us=200000 */
    begin("NQAP 05.0007: cc 0, GR2/GR3 advanced; reply in flight");
    zero(&c, sizeof(c));
    c.in[0] = qid(5, 7) | NQAP_L;
    c.in[2] = (uint64_t)(uintptr_t)msg;
    c.in[3] = sizeof(msg);
    c.in[4] = 0x1234;
    c.in[5] = 0x5678;
    t0 = now_us();
    run(insn_nqap, &c);
    EQ("pgm", PGM_CODE, 0);
    EQ("cc", c.cc, 0);
    EQ("rc", rc_of(&c), 0);
    EQ("GR2 address", c.out[2], (uintptr_t)msg + sizeof(msg));
    EQ("GR3 length", c.out[3], 0);
    zero(&c, sizeof(c));
    c.in[0] = qid(5, 7) | DQAP_B;
    c.in[4] = (uint64_t)(uintptr_t)rbuf;
    c.in[5] = sizeof(rbuf);
    run(insn_dqap, &c);
    if (now_us() - t0 < 150000) {
        EQ("DQAP at once: cc", c.cc, 3);
        EQ("DQAP at once: rc NO_PENDING_REPLY", rc_of(&c), 0x10);
        EQ("DQAP at once: E and R clear", c.out[1] & (QSW_E | QSW_R), 0);
    }
    c = tapq(5, 7, 0);
    if (now_us() - t0 < 150000) {
        EQ("TAPQ at once: E and R clear", c.out[1] & (QSW_E | QSW_R), 0);
    }
    end();

    begin("reply after the latency, oversized for the buffer: cc 1, GR2 = "
          "bytes left, rest stays queued");
    wait_us(250000);
    c = tapq(5, 7, 0);
    EQ("TAPQ: R bit", c.out[1] & QSW_R, QSW_R);
    zero(&c, sizeof(c));
    zero(rbuf, sizeof(rbuf));
    c.in[0] = qid(5, 7) | DQAP_B;
    c.in[4] = (uint64_t)(uintptr_t)rbuf;
    c.in[5] = 4;
    run(insn_dqap, &c);
    EQ("pgm", PGM_CODE, 0);
    EQ("cc", c.cc, 1);
    EQ("GR2 bytes left", c.out[2], 4);
    EQ("GR4 address", c.out[4], (uintptr_t)rbuf + 4);
    EQ("GR5 length", c.out[5], 0);
    EQ("first bytes (type 82 reply)", rbuf[1], 0x82);
    c.in[0] = qid(5, 7) | DQAP_B;
    c.in[4] = (uint64_t)(uintptr_t)rbuf + 4;
    c.in[5] = sizeof(rbuf) - 4;
    run(insn_dqap, &c);
    EQ("second DQAP: pgm", PGM_CODE, 0);
    EQ("second DQAP: cc", c.cc, 0);
    EQ("second DQAP: GR1 E bit", c.out[1], QSW_E);
    EQ("second DQAP: GR2", c.out[2], 0);
    EQ("second DQAP: GR5 length left", c.out[5], sizeof(rbuf) - 8);
    EQ("second DQAP: PSMID high", c.out[6], 0x1234);
    EQ("second DQAP: PSMID low", c.out[7], 0x5678);
    EQ("rest of the reply (reply code 0x8b)", rbuf[4], 0x8b);
    end();

    begin("DQAP on an empty queue: cc 3, rc NO_PENDING_REPLY, E bit");
    run(insn_dqap, &c);
    EQ("cc", c.cc, 3);
    EQ("GR1", c.out[1], QSW_E | 0x100000);
    end();

    /* reset-time-us=500000 */
    begin("RAPQ with F bit: cc 0; TAPQ, NQAP, DQAP, RAPQ answer "
          "RESET_IN_PROGRESS until the reset time has passed");
    zero(&c, sizeof(c));
    c.in[0] = qid(1, 1) | 1ULL << 24 | F_BIT;
    t0 = now_us();
    run(insn_pqap, &c);
    EQ("pgm", PGM_CODE, 0);
    EQ("cc", c.cc, 0);
    EQ("rc", rc_of(&c), 0);
    c = tapq(1, 1, 0);
    EQ("TAPQ rc", rc_of(&c), 0x02);
    EQ("TAPQ cc", c.cc, 3);
    zero(&c, sizeof(c));
    c.in[0] = qid(1, 1) | NQAP_L;
    c.in[2] = (uint64_t)(uintptr_t)msg;
    c.in[3] = sizeof(msg);
    run(insn_nqap, &c);
    EQ("NQAP rc", rc_of(&c), 0x02);
    EQ("NQAP GR3 unchanged", c.out[3], sizeof(msg));
    zero(&c, sizeof(c));
    c.in[0] = qid(1, 1) | DQAP_B;
    c.in[4] = (uint64_t)(uintptr_t)rbuf;
    c.in[5] = sizeof(rbuf);
    run(insn_dqap, &c);
    EQ("DQAP rc", rc_of(&c), 0x02);
    zero(&c, sizeof(c));
    c.in[0] = qid(1, 1) | 2ULL << 24;
    run(insn_pqap, &c);
    EQ("ZAPQ rc", rc_of(&c), 0x02);
    if (now_us() - t0 > 400000) {
        EQ("(test too slow to judge the window, us)", now_us() - t0, 0);
    }
    wait_us(550000);
    c = tapq(1, 1, 0);
    EQ("TAPQ after the reset: rc", rc_of(&c), 0);
    EQ("TAPQ after the reset: E bit", c.out[1] & QSW_E, QSW_E);
    end();

    begin("queue full after 8 requests: Q_FULL");
    for (i = 0; i < 9; i++) {
        zero(&c, sizeof(c));
        c.in[0] = qid(0, 0) | NQAP_L;
        c.in[2] = (uint64_t)(uintptr_t)msg;
        c.in[3] = sizeof(msg);
        run(insn_nqap, &c);
        if (i < 8) {
            EQ("NQAP cc", c.cc, 0);
        }
    }
    EQ("ninth NQAP cc", c.cc, 3);
    EQ("ninth NQAP rc", rc_of(&c), 0x10);
    EQ("ninth NQAP F bit", c.out[1] & 0x20000000u, 0x20000000u);
    end();
}

#elif defined(MODE_NODEV)
static void test_nodev(void)
{
    struct ap_ctx c;
    int i, nz = 0;

    begin("no device: TAPQ 00.0000 cc 3, rc 01");
    c = tapq(0, 0, T_BIT);
    EQ("pgm", PGM_CODE, 0);
    EQ("cc", c.cc, 3);
    EQ("rc", rc_of(&c), 0x01);
    end();

    begin("no device: QCI cc 0, no adapter, domain or control domain");
    zero(&c, sizeof(c));
    c.in[0] = 4ULL << 24;
    c.in[2] = (uint64_t)(uintptr_t)qci;
    run(insn_pqap, &c);
    EQ("pgm", PGM_CODE, 0);
    EQ("cc", c.cc, 0);
    for (i = 16; i < 112; i++) {
        nz |= qci[i];
    }
    EQ("masks", nz, 0);
    end();
}

#else
static void test_off(void)
{
    uint64_t fac[4] = { 0 };

    begin("AP off: STFLE bits 12 (QCI) and 15 (APFT) off");
    asm volatile("lghi 0,3\n\t.insn s,0xb2b00000,%0"
                 : "=Q"(fac) : : "0", "cc", "memory");
    EQ("STFLE bit 12", (fac[0] >> (63 - 12)) & 1, 0);
    EQ("STFLE bit 15", (fac[0] >> (63 - 15)) & 1, 0);
    end();
    expect_pgm("AP off: PQAP is an operation exception", insn_pqap,
               qid(0, 0), 0, 0, PGM_OPERATION);
    expect_pgm("AP off: PQAP in problem state is an operation exception",
               insn_pqap, qid(0, 0), 0, 1, PGM_OPERATION);
    expect_pgm("AP off: NQAP is an operation exception", insn_nqap,
               qid(0, 0) | NQAP_L, 16, 0, PGM_OPERATION);
    expect_pgm("AP off: DQAP in problem state is an operation exception",
               insn_dqap, qid(0, 0) | DQAP_B, 16, 1, PGM_OPERATION);
}

#endif

void main(void);

void main(void)
{
    sclp_setup();
#if defined(MODE_FULL)
    put("# AP instruction test: s390-ap-emu configured");
    flush();
    test_full();
#elif defined(MODE_NODEV)
    put("# AP instruction test: AP facility, no s390-ap-emu device");
    flush();
    test_nodev();
#else
    put("# AP instruction test: no AP facility");
    flush();
    test_off();
#endif
    put("1..");
    put_dec(tests);
    flush();
    put(failed ? "APINSN-RESULT: FAIL" : "APINSN-RESULT: PASS");
    flush();
}
