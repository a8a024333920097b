// SPDX-License-Identifier: GPL-2.0
/*
 * Widget core: the reference-counted objects and an open-coded iterator over them, exposed to BPF programs as
 * kfuncs. The set that registers them lives in widget_bpf.c.
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/widget.h>

static struct widget widgets[16];

/**
 * bpf_widget_acquire - Look up a widget and take a reference to it.
 * @id: the widget's id.
 *
 * Returns the widget with a reference held, or NULL when no widget has that id. The reference must be released
 * with bpf_widget_release().
 */
__bpf_kfunc struct widget *bpf_widget_acquire(u32 id)
{
	if (id >= ARRAY_SIZE(widgets))
		return NULL;
	widgets[id].refcnt++;
	return &widgets[id];
}

/**
 * bpf_widget_release - Drop a reference taken by bpf_widget_acquire().
 * @w: the widget.
 */
__bpf_kfunc void bpf_widget_release(struct widget *w)
{
	w->refcnt--;
}

__bpf_kfunc_start_defs();

struct bpf_iter_widget_kern {
	u32 next;
	u32 pad;
	u64 unused;
};

/**
 * bpf_iter_widget_new - Start iterating over all widgets.
 * @it: the iterator state on the BPF stack.
 * @first: the first id to visit.
 */
__bpf_kfunc int bpf_iter_widget_new(struct bpf_iter_widget *it, u32 first)
{
	struct bpf_iter_widget_kern *kit = (void *)it;

	kit->next = first;
	return 0;
}

__bpf_kfunc struct widget *bpf_iter_widget_next(struct bpf_iter_widget *it)
{
	struct bpf_iter_widget_kern *kit = (void *)it;

	if (kit->next >= ARRAY_SIZE(widgets))
		return NULL;
	return &widgets[kit->next++];
}

__bpf_kfunc void bpf_iter_widget_destroy(struct bpf_iter_widget *it)
{
}

/**
 * bpf_widget_log - Record an event on a widget on behalf of the calling program.
 * @w: the widget.
 * @event: what happened.
 * @aux: the calling program, filled in by the verifier (BPF programs do not pass it).
 */
__bpf_kfunc int bpf_widget_log(struct widget *w, u64 event, struct bpf_prog_aux *aux)
{
	w->events += event;
	return aux ? 0 : -EINVAL;
}

__bpf_kfunc_end_defs();
