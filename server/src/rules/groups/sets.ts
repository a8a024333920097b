/** Rules about BTF sets, their entries and KF_* flags. */
import { acquireRcuRetNull } from '../acquireRcuRetNull';
import { acquireReturn } from '../acquireReturn';
import { fastcallNotInlined } from '../fastcallNotInlined';
import { flagRemoved } from '../flagRemoved';
import { flagsInconsistent } from '../flagsInconsistent';
import { flagsSeparateArgs } from '../flagsSeparateArgs';
import { flagUnknown } from '../flagUnknown';
import { iteratorContract } from '../iteratorContract';
import { iteratorNextRetNull } from '../iteratorNextRetNull';
import { releaseNoPointerArg } from '../releaseNoPointerArg';
import { retNullNonPointer } from '../retNullNonPointer';
import { setDuplicateEntry } from '../setDuplicateEntry';
import { setUnregistered } from '../setUnregistered';
import { setUnterminated } from '../setUnterminated';
import { setWrongMacro } from '../setWrongMacro';
import type { Rule } from '../types';

export const SET_RULES: Rule[] = [
  flagsSeparateArgs,
  flagUnknown,
  flagRemoved,
  setWrongMacro,
  setUnterminated,
  setDuplicateEntry,
  setUnregistered,
  flagsInconsistent,
  acquireReturn,
  retNullNonPointer,
  releaseNoPointerArg,
  acquireRcuRetNull,
  iteratorContract,
  iteratorNextRetNull,
  fastcallNotInlined,
];
