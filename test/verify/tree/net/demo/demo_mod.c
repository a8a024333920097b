// SPDX-License-Identifier: GPL-2.0-only
/* verify fixture: a module's kfunc (its BTF is split on top of vmlinux). */
#include <linux/module.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>

__bpf_kfunc_start_defs();

__bpf_kfunc int bpf_demo_mod_mark(struct sk_buff *skb, u32 mark)
{
	skb->mark = mark;
	return 0;
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(demo_mod_kfunc_ids)
BTF_ID_FLAGS(func, bpf_demo_mod_mark)
BTF_KFUNCS_END(demo_mod_kfunc_ids)

static const struct btf_kfunc_id_set demo_mod_kfunc_set = {
	.owner = THIS_MODULE,
	.set   = &demo_mod_kfunc_ids,
};

static int __init demo_mod_init(void)
{
	return register_btf_kfunc_id_set(BPF_PROG_TYPE_SCHED_CLS, &demo_mod_kfunc_set);
}

module_init(demo_mod_init);
MODULE_LICENSE("GPL");
