/**
 * set-unterminated: a set's START has no matching END, or the END names another set. The END macro sizes the
 * set's symbol (resolve_btfids reads the entry count from it) and declares the set for C; without it `.set = &x`
 * does not compile, and an END naming another set sizes a symbol that does not exist.
 */
import { addSetEndFix, renameSetEndFix } from '../fixes/entryFixes';
import type { Finding, Rule } from './types';

const END_OF: Record<string, string> = {
  BTF_KFUNCS_START: 'BTF_KFUNCS_END',
  BTF_SET8_START: 'BTF_SET8_END',
  BTF_SET_START: 'BTF_SET_END',
};

export const setUnterminated: Rule = {
  code: 'set-unterminated',
  defaultSeverity: 'error',
  description: "A set's START has no matching END (or the END names another set).",
  appliesTo: () => true,
  check(ctx) {
    const out: Finding[] = [];
    for (const set of ctx.model.sets) {
      const f = set.fact;
      const end = END_OF[f.macro];
      if (!end) continue;
      const kind = f.macro === 'BTF_SET_START' ? 'btf_id_set' : 'btf_id_set8';
      const symPrefix = f.macro === 'BTF_SET_START' ? '__BTF_ID__set__' : '__BTF_ID__set8__';
      const sym = `${symPrefix}${f.name}`;
      if (!f.endSpan) {
        out.push({
          file: set.file,
          span: f.startSpan,
          message:
            `${f.macro}(${f.name}) has no ${end}(${f.name}): the END gives ${sym} its size (resolve_btfids takes the entry ` +
            `count from it) and declares 'extern struct ${kind} ${f.name};', so without it '.set = &${f.name}' fails to ` +
            `compile ('${f.name}' undeclared), and a set nothing refers to is silently empty (cnt 0). ` +
            `Add ${end}(${f.name}) after the last entry.`,
          fixes: [addSetEndFix(set)].filter((x) => x !== undefined),
        });
      } else if (f.endName !== f.name) {
        out.push({
          file: set.file,
          span: f.endSpan,
          message:
            `${f.macro}(${f.name}) is closed by an END naming '${f.endName}': the END sizes ${symPrefix}${f.endName} ` +
            `instead of ${sym} (an assembler error when no such set exists, a wrong entry count when it does) and declares ` +
            `'${f.endName}' instead of '${f.name}', so '.set = &${f.name}' does not compile. Write ${end}(${f.name}).`,
          related: [{ file: set.file, span: f.startSpan, message: `the set starts here: ${f.macro}(${f.name})` }],
          fixes: [renameSetEndFix(set, ctx.text(set.file))].filter((x) => x !== undefined),
        });
      }
    }
    return out;
  },
};
