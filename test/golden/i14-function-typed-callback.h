/* BPF kfuncs */
#ifndef BPF_NO_KFUNC_PROTOTYPES
extern long bpf_demo_rb_walk(struct bpf_rb_root *root, bpf_demo_visit_t visit, void *ctx__ign) __weak __ksym;
extern int bpf_demo_timer_cb(struct bpf_wq *wq, int (*cb)(void), u64 nsecs) __weak __ksym;
extern int bpf_rbtree_add_impl(struct bpf_rb_root *root, struct bpf_rb_node *node, bool (*less)(struct bpf_rb_node *, const struct bpf_rb_node *), void *meta__ign, u64 off) __weak __ksym;
extern int bpf_wq_set_callback_impl(struct bpf_wq *wq, int (*callback_fn)(void *, int *, void *), unsigned int flags, void *aux__ign) __weak __ksym;
#endif
