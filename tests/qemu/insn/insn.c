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
 *   MODE_FAULTS the device with adapters=0-1:5,domains=0-2:7,
 *               max-adapter=15,max-domain=15,reply-latency-us=1000,
 *               reset-time-us=0, started with -S; before it runs, the
 *               faults of tests/qemu/insn/faults.qmp are injected through
 *               QMP. The run-time (de)configuration it asks for itself:
 *               it prints "QMP-REQ: {json}" lines that scripts/qmp.py
 *               --follow executes, and waits for the change in the QCI
 *               masks.
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
int stcrw(uint32_t *crw);
int chsc(void *block);

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

/* evaluates its arguments twice: no side effects in them */
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


#elif defined(MODE_FAULTS)
static uint8_t msg[16] = { 0, 0x42 };
static uint8_t rbuf[8192];
static uint8_t chsc_area[4096] __attribute__((aligned(4096)));

static struct ap_ctx nqap(unsigned int ap, unsigned int dom, uint64_t psmid)
{
    struct ap_ctx c;

    zero(&c, sizeof(c));
    c.in[0] = qid(ap, dom) | NQAP_L;
    c.in[2] = (uint64_t)(uintptr_t)msg;
    c.in[3] = sizeof(msg);
    c.in[4] = psmid >> 32;
    c.in[5] = psmid & 0xffffffffu;
    run(insn_nqap, &c);
    return c;
}

static struct ap_ctx dqap(unsigned int ap, unsigned int dom, uint64_t len)
{
    struct ap_ctx c;

    zero(&c, sizeof(c));
    c.in[0] = qid(ap, dom) | DQAP_B;
    c.in[4] = (uint64_t)(uintptr_t)rbuf;
    c.in[5] = len;
    run(insn_dqap, &c);
    return c;
}

static struct ap_ctx pqap_fc(unsigned int fc, unsigned int ap, unsigned int dom)
{
    struct ap_ctx c;

    zero(&c, sizeof(c));
    c.in[0] = qid(ap, dom) | (uint64_t)fc << 24;
    run(insn_pqap, &c);
    return c;
}

static void do_qci(void)
{
    struct ap_ctx c;

    zero(&c, sizeof(c));
    c.in[0] = 4ULL << 24;
    c.in[2] = (uint64_t)(uintptr_t)qci;
    run(insn_pqap, &c);
}

/*
 * Ask the host (scripts/qmp.py --follow) for a QMP command and wait until
 * QCI shows bit @nr of mask @off (16: adapters, 48: domains) as @want;
 * 60 s of guest time at most. Returns whether it did.
 */
static int qmp_and_wait(const char *json, unsigned int off, unsigned int nr,
                        int want)
{
    uint64_t t0 = now_us();

    put("QMP-REQ: ");
    put(json);
    flush();
    do {
        do_qci();
        if (!!(qci[off + nr / 8] & (0x80 >> (nr % 8))) == want) {
            return 1;
        }
        wait_us(1000);
    } while (now_us() - t0 < 60000000);
    return 0;
}

static void wait_until(uint64_t t)
{
    while (now_us() < t) {
        /* busy wait on the TOD clock (QEMU's virtual clock) */
    }
}

/* CHSC store-event-information: its response code; nt/rs/cc/flags out */
static unsigned int chsc_sei(uint8_t *out)
{
    zero(chsc_area, sizeof(chsc_area));
    *(uint16_t *)chsc_area = 0x0010;            /* request length */
    *(uint16_t *)(chsc_area + 2) = 0x000e;      /* store event info */
    chsc_area[8] = 0xa0;                        /* ntsm: nt 0 and 2 */
    if (chsc(chsc_area)) {
        return 0xffff;
    }
    out[0] = chsc_area[0x10 + 7];               /* nt */
    out[1] = chsc_area[0x10 + 8];               /* flags */
    out[2] = chsc_area[0x10 + 10];              /* reporting source */
    out[3] = chsc_area[0x10 + 11];              /* content code */
    return *(uint16_t *)(chsc_area + 0x12);
}

/* the configuration-change event: a CSS CRW, then SEI nt 0 cc 3 rs 5 */
static void expect_cfg_event(void)
{
    uint32_t crw = 0;
    uint8_t sei[4];
    unsigned int r;

    r = stcrw(&crw);
    EQ("STCRW cc (0: a CRW was pending)", r, 0);
    EQ("CRW reporting-source code (0xb: CSS)", (crw >> 24) & 0xf, 0xb);
    r = chsc_sei(sei);
    EQ("CHSC SEI response code", r, 0x0001);
    EQ("SEI nt", sei[0], 0);
    EQ("SEI content code (3: AP configuration changed)", sei[3], 3);
    EQ("SEI reporting source (5)", sei[2], 5);
    EQ("SEI more-events flag", sei[1] & 0x80, 0);
    r = stcrw(&crw);
    EQ("second STCRW cc (no further CRW)", r, 1);
    r = chsc_sei(sei);
    EQ("second CHSC SEI: no event (0x0005)", r, 0x0005);
}

static void test_faults(void)
{
    struct ap_ctx c;
    uint64_t t0;
    uint32_t crw;
    uint8_t sei[4];
    unsigned int r;
    int ok;

    /* faults.qmp: 00.0000 busy, count 2 */
    begin("fault BUSY x2 on 00.0000: TAPQ and NQAP answer rc 05, then normal");
    c = tapq(0, 0, T_BIT);
    EQ("TAPQ cc", c.cc, 3);
    EQ("TAPQ rc", rc_of(&c), 0x05);
    EQ("TAPQ GR2 AP type still stored", (c.out[2] >> 24) & 0xff, 13);
    c = nqap(0, 0, 1);
    EQ("NQAP rc", rc_of(&c), 0x05);
    EQ("NQAP GR3 unchanged (not accepted)", c.out[3], sizeof(msg));
    c = tapq(0, 0, 0);
    EQ("third TAPQ cc", c.cc, 0);
    EQ("third TAPQ status word", c.out[1], QSW_E);
    end();

    /* 00.0001 checkstopped, duration 2000 ms (from the start) */
    begin("fault CHECKSTOPPED for 2 s on 00.0001: rc 04, normal after");
    t0 = now_us();
    c = tapq(0, 1, 0);
    EQ("TAPQ rc", rc_of(&c), 0x04);
    c = pqap_fc(1, 0, 1);
    EQ("RAPQ rc", rc_of(&c), 0x04);
    wait_until(t0 + 2100000);
    c = tapq(0, 1, 0);
    EQ("TAPQ 2.1 s later: cc", c.cc, 0);
    EQ("TAPQ 2.1 s later: status word", c.out[1], QSW_E);
    end();

    /* 00.0002 deconfigured, no limit */
    begin("fault DECONFIGURED on 00.0002 until cleared: every instruction rc 03");
    c = tapq(0, 2, T_BIT);
    EQ("TAPQ rc", rc_of(&c), 0x03);
    EQ("TAPQ GR2 AP type still stored", (c.out[2] >> 24) & 0xff, 13);
    c = pqap_fc(2, 0, 2);
    EQ("ZAPQ rc", rc_of(&c), 0x03);
    c = nqap(0, 2, 2);
    EQ("NQAP rc", rc_of(&c), 0x03);
    c = dqap(0, 2, 128);
    EQ("DQAP rc", rc_of(&c), 0x03);
    c = tapq(0, 2, 0);
    EQ("TAPQ again rc", rc_of(&c), 0x03);
    end();

    /* 01.0000 invalid-address, count 1 */
    begin("fault INVALID_ADDRESS once on 01.0000: NQAP rc 06, next accepted");
    c = nqap(1, 0, 3);
    EQ("NQAP rc", rc_of(&c), 0x06);
    EQ("NQAP cc", c.cc, 3);
    c = nqap(1, 0, 3);
    EQ("second NQAP cc", c.cc, 0);
    wait_us(5000);
    c = dqap(1, 0, 128);
    EQ("DQAP of its reply cc", c.cc, 0);
    end();

    /* 01.0001 otherwise-changed, count 1 */
    begin("fault OTHERWISE_CHANGED once on 01.0001: DQAP rc 07, then rc 10");
    c = dqap(1, 1, 128);
    EQ("DQAP rc", rc_of(&c), 0x07);
    c = dqap(1, 1, 128);
    EQ("second DQAP rc (no reply)", rc_of(&c), 0x10);
    end();

    /* 05.0000 delay-reply 300 ms, count 1; the device latency is 1 ms */
    begin("fault reply delayed by 300 ms on 05.0000, the next one is not");
    t0 = now_us();
    c = nqap(5, 0, 4);
    EQ("NQAP cc", c.cc, 0);
    wait_us(50000);
    c = dqap(5, 0, 128);
    if (now_us() - t0 < 250000) {
        EQ("DQAP after 50 ms rc (in flight)", rc_of(&c), 0x10);
    }
    wait_until(t0 + 350000);
    c = dqap(5, 0, 128);
    EQ("DQAP after 350 ms cc", c.cc, 0);
    c = nqap(5, 0, 5);
    wait_us(20000);
    c = dqap(5, 0, 128);
    EQ("next request: DQAP after 20 ms cc", c.cc, 0);
    end();

    /* 05.0001 drop-reply, count 1 */
    begin("fault reply dropped on 05.0001: in flight until reset, holds "
          "back the next reply");
    c = nqap(5, 1, 6);
    EQ("first NQAP cc", c.cc, 0);
    c = nqap(5, 1, 7);
    EQ("second NQAP cc", c.cc, 0);
    wait_us(100000);
    c = dqap(5, 1, 128);
    EQ("DQAP after 100 ms rc (no reply)", rc_of(&c), 0x10);
    c = tapq(5, 1, 0);
    EQ("TAPQ: E and R clear (requests in the queue)",
       c.out[1] & (QSW_E | QSW_R), 0);
    c = pqap_fc(1, 5, 1);
    EQ("RAPQ cc", c.cc, 0);
    c = tapq(5, 1, 0);
    EQ("TAPQ after the reset: empty", c.out[1], QSW_E);
    c = nqap(5, 1, 8);
    wait_us(20000);
    c = dqap(5, 1, 128);
    EQ("a new request is answered: DQAP cc", c.cc, 0);
    end();

    /* 05.0002 oversize-reply 5000 bytes, count 1 */
    begin("fault reply oversized to 5000 bytes on 05.0002: DQAP of 128 is "
          "partial, cc 1, GR2 = 4872; the rest follows");
    c = nqap(5, 2, 9);
    wait_us(20000);
    c = dqap(5, 2, 128);
    EQ("DQAP cc", c.cc, 1);
    EQ("GR2 bytes left", c.out[2], 5000 - 128);
    EQ("type 82 reply", rbuf[1], 0x82);
    c = dqap(5, 2, sizeof(rbuf));
    EQ("second DQAP cc", c.cc, 0);
    EQ("second DQAP GR5 length left", c.out[5], sizeof(rbuf) - (5000 - 128));
    end();

    /* 00.0007 reset-in-progress, count 2 */
    begin("fault RESET_IN_PROGRESS x2 on 00.0007: ZAPQ and TAPQ rc 02 "
          "without E and F, then normal");
    c = pqap_fc(2, 0, 7);
    EQ("ZAPQ cc", c.cc, 3);
    EQ("ZAPQ status word", c.out[1], 0x00020000);
    c = tapq(0, 7, 0);
    EQ("TAPQ status word", c.out[1], 0x00020000);
    c = tapq(0, 7, 0);
    EQ("third TAPQ cc", c.cc, 0);
    EQ("third TAPQ status word", c.out[1], QSW_E);
    end();

    /* run-time configuration, through QMP-REQ lines */
    begin("no configuration-change event before any change");
    r = stcrw(&crw);
    EQ("STCRW cc (1: none)", r, 1);
    r = chsc_sei(sei);
    EQ("CHSC SEI: no event (0x0005)", r, 0x0005);
    end();

    c = nqap(1, 2, 10);
    begin("adapter 1 deconfigured (QMP): QCI, TAPQ rc 01, CRW and CHSC "
          "event");
    ok = qmp_and_wait("{\"execute\": "
       "\"s390-ap-emu-configure\", \"arguments\": {\"adapter\": 1, "
       "\"configured\": false}}", 16, 1, 0);
    EQ("QCI shows it out", ok, 1);
    EQ("QCI adapters 0 and 5", qci[16], 0x84);
    EQ("QCI domains unchanged", qci[48], 0xe1);
    c = tapq(1, 2, 0);
    EQ("TAPQ 01.0002 rc", rc_of(&c), 0x01);
    c = tapq(0, 0, 0);
    EQ("TAPQ 00.0000 still rc", rc_of(&c), 0);
    expect_cfg_event();
    end();
    put("QMP-REQ: {\"execute\": \"query-s390-ap-emu\"}");
    flush();

    begin("adapter 1 reconfigured: its queues are back, reset and empty; "
          "event");
    ok = qmp_and_wait("{\"execute\": "
       "\"s390-ap-emu-configure\", \"arguments\": {\"adapter\": 1, "
       "\"configured\": true}}", 16, 1, 1);
    EQ("QCI shows it back", ok, 1);
    EQ("QCI adapters 0, 1 and 5", qci[16], 0xc4);
    c = tapq(1, 2, 0);
    EQ("TAPQ 01.0002 cc", c.cc, 0);
    EQ("TAPQ 01.0002 status word (the request before is gone)", c.out[1],
       QSW_E);
    expect_cfg_event();
    end();

    begin("domain 7 deconfigured with notify false: QCI, rc 01, no event");
    ok = qmp_and_wait("{\"execute\": "
       "\"s390-ap-emu-configure\", \"arguments\": {\"domain\": 7, "
       "\"configured\": false, \"notify\": false}}", 48, 7, 0);
    EQ("QCI shows it out", ok, 1);
    EQ("QCI domains 0-2", qci[48], 0xe0);
    c = tapq(5, 7, 0);
    EQ("TAPQ 05.0007 rc", rc_of(&c), 0x01);
    r = stcrw(&crw);
    EQ("STCRW cc (1: no CRW)", r, 1);
    r = chsc_sei(sei);
    EQ("CHSC SEI: no event (0x0005)", r, 0x0005);
    end();

    begin("domain 7 reconfigured: rc 0; event");
    ok = qmp_and_wait("{\"execute\": "
       "\"s390-ap-emu-configure\", \"arguments\": {\"domain\": 7, "
       "\"configured\": true}}", 48, 7, 1);
    EQ("QCI shows it back", ok, 1);
    c = tapq(5, 7, 0);
    EQ("TAPQ 05.0007 cc", c.cc, 0);
    expect_cfg_event();
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
#elif defined(MODE_FAULTS)
    put("# AP instruction test: injected faults, run-time configuration");
    flush();
    test_faults();
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
