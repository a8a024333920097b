/* BPF kfuncs */
#ifndef BPF_NO_KFUNC_PROTOTYPES
extern int bpf_ct_change_status(struct nf_conn *nfct, u32 status) __weak __ksym;
extern void bpf_ct_release(struct nf_conn *nfct) __weak __ksym;
extern void bpf_key_put(struct bpf_key *bkey) __weak __ksym;
extern u64 bpf_kfunc_call_test1(struct sock *sk, u32 a, u64 b, u32 c, u64 d) __weak __ksym;
extern int bpf_kfunc_call_test2(struct sock *sk, u32 a, u32 b) __weak __ksym;
extern struct sock *bpf_kfunc_call_test3(struct sock *sk) __weak __ksym;
extern struct prog_test_ref_kfunc *bpf_kfunc_call_test_acquire(unsigned long *scalar_ptr) __weak __ksym;
extern void bpf_kfunc_call_test_destructive(void) __weak __ksym;
extern int *bpf_kfunc_call_test_get_rdonly_mem(struct prog_test_ref_kfunc *p, const int rdonly_buf_size) __weak __ksym;
extern struct prog_test_ref_kfunc *bpf_kfunc_call_test_kptr_get(struct prog_test_ref_kfunc **pp, int a, int b) __weak __ksym;
extern void bpf_kfunc_call_test_mem_len_pass1(void *mem, int mem__sz) __weak __ksym;
extern void bpf_kfunc_call_test_ref(struct prog_test_ref_kfunc *p) __weak __ksym;
extern void bpf_kfunc_call_test_release(struct prog_test_ref_kfunc *p) __weak __ksym;
extern struct bpf_key *bpf_lookup_user_key(u32 serial, u64 flags) __weak __ksym;
extern int bpf_verify_pkcs7_signature(struct bpf_dynptr_kern *data_ptr, struct bpf_dynptr_kern *sig_ptr, struct bpf_key *trusted_keyring) __weak __ksym;
extern struct nf_conn___init *bpf_xdp_ct_alloc(struct xdp_md *xdp_ctx, struct bpf_sock_tuple *bpf_tuple, u32 tuple__sz, struct bpf_ct_opts *opts, u32 opts__sz) __weak __ksym;
#endif
