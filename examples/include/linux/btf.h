/* SPDX-License-Identifier: GPL-2.0 */
/* The KF_* flags of a 7.0 kernel (bits as in the kernel's include/linux/btf.h). */
#ifndef _LINUX_BTF_H
#define _LINUX_BTF_H 1

#define KF_ACQUIRE	(1 << 0) /* kfunc is an acquire function */
#define KF_RELEASE	(1 << 1) /* kfunc is a release function */
#define KF_RET_NULL	(1 << 2) /* kfunc returns a pointer that may be NULL */
#define KF_SLEEPABLE	(1 << 5) /* kfunc may sleep */
#define KF_DESTRUCTIVE	(1 << 6) /* kfunc performs destructive actions */
#define KF_RCU		(1 << 7) /* kfunc takes either rcu or trusted pointer arguments */
#define KF_ITER_NEW	(1 << 8) /* kfunc implements BPF iter constructor */
#define KF_ITER_NEXT	(1 << 9) /* kfunc implements BPF iter next method */
#define KF_ITER_DESTROY	(1 << 10) /* kfunc implements BPF iter destructor */
#define KF_RCU_PROTECTED (1 << 11) /* kfunc should be protected by rcu cs when they are invoked */
#define KF_FASTCALL	(1 << 12) /* kfunc supports bpf_fastcall protocol */
#define KF_ARENA_RET	(1 << 13) /* kfunc returns an arena pointer */
#define KF_ARENA_ARG1	(1 << 14) /* kfunc takes an arena pointer as its first argument */
#define KF_ARENA_ARG2	(1 << 15) /* kfunc takes an arena pointer as its second argument */
#define KF_IMPLICIT_ARGS (1 << 16) /* kfunc has implicit arguments supplied by the verifier */

#define __bpf_kfunc __used __retain __noclone noinline

#define __bpf_kfunc_start_defs()					\
	__diag_push();							\
	__diag_ignore_all("-Wmissing-declarations",			\
			  "Global kfuncs as their definitions will be in BTF");\
	__diag_ignore_all("-Wmissing-prototypes",			\
			  "Global kfuncs as their definitions will be in BTF")

#define __bpf_kfunc_end_defs() __diag_pop()

#endif /* _LINUX_BTF_H */
