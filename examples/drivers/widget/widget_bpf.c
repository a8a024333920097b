// SPDX-License-Identifier: GPL-2.0
/*
 * Widget kfuncs for BPF programs: the kfunc set and its registration. The definitions below contain a few
 * DELIBERATE MISTAKES for kfunc-lsp's walkthrough; each is marked with "mistake:".
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/init.h>
#include <linux/widget.h>

__bpf_kfunc_start_defs();

/* mistake: a kfunc with internal linkage (kfunc-static). */
__bpf_kfunc static u64 bpf_widget_events(struct widget *w)
{
	return w->events;
}

/* Looks a widget up without taking a reference; NULL when there is none. */
__bpf_kfunc struct widget *bpf_widget_lookup(u32 id)
{
	return bpf_widget_acquire(id);
}

/*
 * mistake: the verifier fills in @aux, but the set entry below lacks KF_IMPLICIT_ARGS, so BTF keeps the full
 * prototype and BPF programs would have to pass it (implicit-without-flag; the quick fix adds the flag).
 */
__bpf_kfunc int bpf_widget_notify(struct widget *w, u32 mask, struct bpf_prog_aux *aux)
{
	return mask && aux ? 0 : -EINVAL;
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(widget_kfunc_ids)
BTF_ID_FLAGS(func, bpf_widget_acquire, KF_ACQUIRE | KF_RET_NULL)
BTF_ID_FLAGS(func, bpf_widget_release, KF_RELEASE)
/* mistake: the flags are separate arguments; only KF_ACQUIRE is used (flags-separate-args). */
BTF_ID_FLAGS(func, bpf_widget_lookup, KF_ACQUIRE, KF_RET_NULL)
BTF_ID_FLAGS(func, bpf_widget_events, KF_RCU)
BTF_ID_FLAGS(func, bpf_iter_widget_new, KF_ITER_NEW | KF_RCU_PROTECTED)
BTF_ID_FLAGS(func, bpf_iter_widget_next, KF_ITER_NEXT | KF_RET_NULL)
BTF_ID_FLAGS(func, bpf_iter_widget_destroy, KF_ITER_DESTROY)
BTF_ID_FLAGS(func, bpf_widget_log, KF_IMPLICIT_ARGS)
BTF_ID_FLAGS(func, bpf_widget_notify)
BTF_KFUNCS_END(widget_kfunc_ids)

static const struct btf_kfunc_id_set widget_kfunc_set = {
	.owner = THIS_MODULE,
	.set   = &widget_kfunc_ids,
};

static int __init widget_bpf_init(void)
{
	return register_btf_kfunc_id_set(BPF_PROG_TYPE_TRACING, &widget_kfunc_set) ?:
	       register_btf_kfunc_id_set(BPF_PROG_TYPE_SYSCALL, &widget_kfunc_set);
}
late_initcall(widget_bpf_init);
