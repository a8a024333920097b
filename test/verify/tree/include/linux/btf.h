/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cut-down <linux/btf.h> for a kfunc-lsp fixture: the kfunc flag bits as
 * Linux 7.0 numbers them. KF_TRUSTED_ARGS (bit 4) is gone in 7.0; bits 3 and
 * 4 are unused.
 */
#ifndef _LINUX_BTF_H
#define _LINUX_BTF_H 1

#define KF_ACQUIRE	(1 << 0)
#define KF_RELEASE	(1 << 1)
#define KF_RET_NULL	(1 << 2)
#define KF_SLEEPABLE    (1 << 5)
#define KF_DESTRUCTIVE  (1 << 6)
#define KF_RCU          (1 << 7)
#define KF_ITER_NEW     (1 << 8)
#define KF_ITER_NEXT    (1 << 9)
#define KF_ITER_DESTROY (1 << 10)
#define KF_RCU_PROTECTED (1 << 11)
#define KF_FASTCALL     (1 << 12) /* verifier inlines it; bpf_fastcall contract */
#define KF_ARENA_RET    (1 << 13)
#define KF_ARENA_ARG1   (1 << 14)
#define KF_ARENA_ARG2   (1 << 15)
#define KF_IMPLICIT_ARGS (1 << 16) /* trailing struct bpf_prog_aux * is filled in */

#endif /* _LINUX_BTF_H */
