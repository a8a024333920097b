// SPDX-License-Identifier: GPL-2.0-only
/*
 * verify fixture: the source side. test/verify/verify.test.ts builds BTF blobs and ELF files that agree or
 * disagree with it on purpose.
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>

__bpf_kfunc_start_defs();

__bpf_kfunc struct task_struct *bpf_demo_acquire(struct task_struct *p)
{
	return p;
}

__bpf_kfunc void bpf_demo_release(struct task_struct *p)
{
}

__bpf_kfunc int bpf_demo_sum(u32 a, u64 b__k)
{
	return a + b;
}

__bpf_kfunc unsigned long bpf_demo_len(const char *s__str)
{
	return 0;
}

/* KF_IMPLICIT_ARGS: BPF programs call bpf_demo_implicit(a); the verifier passes aux. */
__bpf_kfunc int bpf_demo_implicit(int a, struct bpf_prog_aux *aux)
{
	return a;
}

#ifdef CONFIG_DEMO_EXTRA
__bpf_kfunc int bpf_demo_extra(void)
{
	return 0;
}
#endif

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(demo_kfunc_ids)
BTF_ID_FLAGS(func, bpf_demo_acquire, KF_ACQUIRE | KF_RET_NULL)
BTF_ID_FLAGS(func, bpf_demo_release, KF_RELEASE)
BTF_ID_FLAGS(func, bpf_demo_sum)
BTF_ID_FLAGS(func, bpf_demo_len)
BTF_ID_FLAGS(func, bpf_demo_implicit, KF_IMPLICIT_ARGS)
#ifdef CONFIG_DEMO_EXTRA
BTF_ID_FLAGS(func, bpf_demo_extra)
#endif
BTF_KFUNCS_END(demo_kfunc_ids)

static const struct btf_kfunc_id_set demo_kfunc_set = {
	.owner = THIS_MODULE,
	.set   = &demo_kfunc_ids,
};

static int __init demo_kfunc_init(void)
{
	return register_btf_kfunc_id_set(BPF_PROG_TYPE_TRACING, &demo_kfunc_set);
}

late_initcall(demo_kfunc_init);
