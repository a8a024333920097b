/** Rules about kfunc definitions, linkage, registration and destructors. */
import { kfuncStatic } from '../kfuncStatic';
import type { Rule } from '../types';

export const DEFINITION_RULES: Rule[] = [kfuncStatic];
