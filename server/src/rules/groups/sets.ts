/** Rules about BTF sets, their entries and KF_* flags. */
import { flagsSeparateArgs } from '../flagsSeparateArgs';
import type { Rule } from '../types';

export const SET_RULES: Rule[] = [flagsSeparateArgs];
