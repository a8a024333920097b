/* BPF kfuncs */
#ifndef BPF_NO_KFUNC_PROTOTYPES
extern bool bpf_probe_is_exit(void) __weak __ksym;
extern struct bpf_key *bpf_token_lookup_system(u64 id) __weak __ksym;
extern struct bpf_key *bpf_token_lookup_user(u32 serial, u64 flags) __weak __ksym;
extern void bpf_token_put(struct bpf_key *bkey) __weak __ksym;
extern int bpf_token_verify_sig(struct bpf_dynptr *data_p, struct bpf_dynptr *sig_p, struct bpf_key *trusted_keyring) __weak __ksym;
#endif
