/** Rules about kfunc definitions, linkage, registration and destructors. */
import { dtorPrototype } from '../dtorPrototype';
import { kfuncGuardMismatch } from '../kfuncGuardMismatch';
import { kfuncInline } from '../kfuncInline';
import { kfuncMissingPrototype } from '../kfuncMissingPrototype';
import { kfuncMissingTag } from '../kfuncMissingTag';
import { kfuncStatic } from '../kfuncStatic';
import { kfuncUndefined } from '../kfuncUndefined';
import { kfuncUnregistered } from '../kfuncUnregistered';
import type { Rule } from '../types';

export const DEFINITION_RULES: Rule[] = [
  kfuncStatic,
  kfuncInline,
  kfuncMissingTag,
  kfuncUnregistered,
  kfuncUndefined,
  kfuncMissingPrototype,
  kfuncGuardMismatch,
  dtorPrototype,
];
