/*
 * Bare-metal start-up for the AP instruction test (loaded with -kernel;
 * QEMU starts it at the ELF entry in 64-bit supervisor state, DAT off).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
	.section .text.start, "ax"
	.globl _start
_start:
	larl	%r15, stack_top
	aghi	%r15, -160
	/* program and SVC new PSWs: 64-bit mode, interrupts off */
	larl	%r1, pgm_new_psw
	mvc	0x1d0(16), 0(%r1)
	larl	%r1, svc_new_psw
	mvc	0x1c0(16), 0(%r1)
	brasl	%r14, main
	/* disabled wait: PSW address 0xfff tells QEMU to shut down */
	larl	%r1, done_psw
	lpswe	0(%r1)

/*
 * A program interruption (the test expects some) records its code at
 * 0x300 and resumes after the instruction in supervisor state.
 */
pgm_handler:
	mvc	0x300(2), 0x8e
	mvc	0x310(16), 0x150
	ni	0x311, 0xfe
	lpswe	0x310
/* SVC 0 ends a problem-state excursion: back to supervisor state */
svc_handler:
	mvc	0x320(16), 0x140
	ni	0x321, 0xfe
	lpswe	0x320

/*
 * insn_<name>(struct ap_ctx *c): load GR0-GR7 from c->in, optionally
 * enter problem state (c->problem), execute the instruction, store
 * GR0-GR7 to c->out and the condition code to c->cc.
 */
	.macro STUB name, word
	.globl insn_\name
insn_\name:
	stmg	%r6, %r15, 48(%r15)
	lgr	%r13, %r2
	lg	%r8, 136(%r13)
	ltgr	%r8, %r8
	jz	1f
	larl	%r9, 1f
	larl	%r10, problem_psw
	stg	%r9, 8(%r10)
	lmg	%r0, %r7, 0(%r13)
	lpswe	0(%r10)
1:	lmg	%r0, %r7, 0(%r13)
	.long	\word
	ipm	%r12
	svc	0
	stmg	%r0, %r7, 64(%r13)
	srl	%r12, 28
	st	%r12, 128(%r13)
	lmg	%r6, %r15, 48(%r15)
	br	%r14
	.endm

	/* the problem-state PSW is patched with the address to go to */
	STUB pqap, 0xb2af0000
	STUB nqap, 0xb2ad0042	/* R1 = 4 (PSMID), R2 = 2 (message) */
	STUB dqap, 0xb2ae0064	/* R1 = 6 (PSMID), R2 = 4 (buffer) */
	STUB nqap_odd, 0xb2ad0032
	STUB dqap_zero, 0xb2ae0004	/* R1 = 0 */

	.globl stcrw
stcrw:	/* stcrw(&crw): cc (0 stored, 1 none pending) */
	.insn	s, 0xb2390000, 0(%r2)
	ipm	%r2
	srl	%r2, 28
	br	%r14

	.globl chsc
chsc:	/* chsc(block): cc */
	.insn	rre, 0xb25f0000, %r2, 0
	ipm	%r2
	srl	%r2, 28
	br	%r14

	.globl servc
servc:	/* servc(command, sccb): cc */
	.insn	rre, 0xb2200000, %r2, %r3
	ipm	%r2
	srl	%r2, 28
	br	%r14

	.section .data
	.align	8
pgm_new_psw:	.quad 0x0000000180000000, pgm_handler
svc_new_psw:	.quad 0x0000000180000000, svc_handler
done_psw:	.quad 0x0002000180000000, 0xfff
problem_psw:	.quad 0x0001000180000000, 0

	.section .bss
	.align	4096
	.space	16384
stack_top:
	.section .note.GNU-stack, "", @progbits
