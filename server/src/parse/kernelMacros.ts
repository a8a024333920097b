/**
 * Kernel macros that tree-sitter-c cannot read because it does not run the preprocessor. Each list says how the
 * neutraliser blanks them (with spaces of the same length, so every offset stays where it was).
 */

/**
 * Attribute-like macros without arguments. Before a return type they make tree-sitter read a bogus type and an
 * ERROR (`__bpf_kfunc struct task_struct *f(...)`). Blanked wherever they appear in code; kept per function.
 */
export const ATTRIBUTE_MACROS = new Set([
  '__bpf_kfunc', '__bpf_fastcall',
  '__weak', '__used', '__retain', 'noinline', '__noinline', '__noclone', '__always_inline', '__inline', '__inline__',
  'notrace', '__init', '__exit', '__cold', '__hot', '__sched', '__visible', '__maybe_unused', '__always_unused',
  '__unused', '__must_check', '__noreturn', '__pure', '__attribute_const__', '__nocfi', '__latent_entropy',
  '__flatten', 'noinstr', '__cpuidle', '__kprobes', '__naked', 'asmlinkage', '__ref', '__init_or_module', '__meminit',
  '__net_init', '__net_exit', '__initdata', '__initconst', '__ro_after_init', '__read_mostly', '__cacheline_aligned',
  '__cacheline_aligned_in_smp', '__randomize_layout', '__packed', '__no_kcsan', '__no_sanitize_address',
  '__nostackprotector', '__malloc', '__safe', '__nonstring', '__force', '__user', '__kernel', '__iomem', '__percpu',
  '__rcu', '__private', '__nocast', '__bitwise', '__must_hold_shared', 'nokprobe_inline', '__fastpath_inline',
  '__always_unused', '__bpf_hook', '__counted_by_ptr',
]);

/** Attribute macros that mark a function inline. */
export const INLINE_MACROS = new Set(['__always_inline', '__inline', '__inline__', 'nokprobe_inline', '__fastpath_inline']);

/** Annotation macros with an argument list (`__printf(2, 3)`, `__acquires(lock)`): blanked with their arguments. */
export const ANNOTATION_CALL_MACROS = new Set([
  '__printf', '__scanf', '__acquires', '__releases', '__must_hold', '__cond_acquires', '__cond_releases',
  '__aligned', '__section', '__counted_by', '__alloc_size', '__diag_ignore_all', '__diag_ignore', '__no_sanitize_or_inline',
]);

/**
 * File-scope statement macros (`__bpf_kfunc_start_defs();`, `__diag_pop()` with or without ';', `CFI_NOSEAL(f);`):
 * blanked with their arguments and a following ';'. Some mark regions the rules care about.
 */
export const STATEMENT_MACROS = new Set([
  '__diag_push', '__diag_pop', '__diag_ignore_all', '__diag_ignore',
  '__bpf_kfunc_start_defs', '__bpf_kfunc_end_defs', '__bpf_hook_start', '__bpf_hook_end',
  'CFI_NOSEAL', 'EXPORT_SYMBOL', 'EXPORT_SYMBOL_GPL', 'EXPORT_SYMBOL_NS', 'EXPORT_SYMBOL_NS_GPL',
  'ALLOW_ERROR_INJECTION', 'NOKPROBE_SYMBOL',
]);

/**
 * Macros that expand to a function head (`BPF_CALL_2(name, type, arg, type, arg) { ... }`): their argument lists
 * are not C parameter lists, so the head is blanked and the body is left as a block tree-sitter can read.
 */
export const FUNCTION_HEAD_MACROS = /^(?:(?:NOTRACE_)?BPF_CALL_[0-5]|SYSCALL_DEFINE[0-6]|COMPAT_SYSCALL_DEFINE[0-6])$/;

/**
 * Per-CPU variable definitions (`static DEFINE_PER_CPU(struct bpf_scratchpad, bpf_sp) = {...};`): the macro name,
 * its parentheses and the comma before the variable name are blanked, leaving the declaration `static struct
 * bpf_scratchpad bpf_sp = {...};` at the same offsets (an array type's `[N]` is blanked too).
 */
export const PER_CPU_VARIABLE_MACROS = /^(?:DEFINE|DECLARE)_PER_CPU(?:_[A-Z_]+)?$/;

/**
 * Callees that take a type argument and that tree-sitter-c reads as such: a bare `struct X` argument is left to them.
 * Other macros called with a type (`sizeof_field(struct sk_buff, mark)`, `container_of(p, struct bpf_array, map)`)
 * have the `struct`/`union`/`enum` keyword blanked inside function bodies, so the argument parses as an identifier.
 */
export const TYPE_TAKING_CALLEES = new Set([
  'sizeof', '_Alignof', 'alignof', '__alignof', '__alignof__', 'typeof', '__typeof', '__typeof__', 'typeof_unqual',
  '__typeof_unqual__', 'offsetof', '_Generic', 'if', 'while', 'for', 'switch', 'return',
]);

/** BTF_* macros that open a set (closed by the matching END). */
export const SET_START_MACROS = new Set(['BTF_KFUNCS_START', 'BTF_SET8_START', 'BTF_SET_START']);

/** BTF_* macros that open an ID list (no END: it runs while BTF_ID lines follow). */
export const ID_LIST_START_MACROS = new Set(['BTF_ID_LIST', 'BTF_ID_LIST_GLOBAL']);

export const LIST_START_MACROS = new Set([...SET_START_MACROS, ...ID_LIST_START_MACROS]);

export const LIST_END_MACROS = new Set(['BTF_KFUNCS_END', 'BTF_SET8_END', 'BTF_SET_END']);

