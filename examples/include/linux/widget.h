/* SPDX-License-Identifier: GPL-2.0 */
/* Widgets: a made-up subsystem that exposes kfuncs to BPF programs. */
#ifndef _LINUX_WIDGET_H
#define _LINUX_WIDGET_H

#include <linux/types.h>

struct widget {
	u32 id;
	u32 refcnt;
	u64 events;
};

struct bpf_iter_widget {
	u64 __opaque[2];
} __aligned(8);

/* Also called by the rest of the subsystem, so they are declared here. */
struct widget *bpf_widget_acquire(u32 id);
void bpf_widget_release(struct widget *w);

#ifdef CONFIG_WIDGET_STATS
u64 widget_stats_read(struct widget *w);
#else
static inline u64 widget_stats_read(struct widget *w) { return 0; }
#endif

#endif /* _LINUX_WIDGET_H */
