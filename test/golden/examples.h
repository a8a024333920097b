/* BPF kfuncs */
#ifndef BPF_NO_KFUNC_PROTOTYPES
extern void bpf_iter_widget_destroy(struct bpf_iter_widget *it) __weak __ksym;
extern int bpf_iter_widget_new(struct bpf_iter_widget *it, u32 first) __weak __ksym;
extern struct widget *bpf_iter_widget_next(struct bpf_iter_widget *it) __weak __ksym;
extern struct widget *bpf_widget_acquire(u32 id) __weak __ksym;
extern u64 bpf_widget_events(struct widget *w) __weak __ksym;
extern int bpf_widget_log(struct widget *w, u64 event) __weak __ksym;
extern struct widget *bpf_widget_lookup(u32 id) __weak __ksym;
extern int bpf_widget_notify(struct widget *w, u32 mask, struct bpf_prog_aux *aux) __weak __ksym;
extern void bpf_widget_release(struct widget *w) __weak __ksym;
#endif
