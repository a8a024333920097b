/** Rules about prototypes, parameter suffixes and implicit arguments. */
import { implicitWithoutFlag } from '../implicitWithoutFlag';
import type { Rule } from '../types';

export const PROTOTYPE_RULES: Rule[] = [implicitWithoutFlag];
