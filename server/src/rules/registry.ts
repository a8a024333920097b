/** Every rule, grouped as in contracts §3: definitions and linkage, sets and flags, prototypes and arguments. */
import { DEFINITION_RULES } from './groups/definitions';
import { PROTOTYPE_RULES } from './groups/prototypes';
import { SET_RULES } from './groups/sets';
import type { Rule } from './types';

export const RULES: readonly Rule[] = [...DEFINITION_RULES, ...SET_RULES, ...PROTOTYPE_RULES];

export function ruleByCode(code: string): Rule | undefined {
  return RULES.find((r) => r.code === code);
}
