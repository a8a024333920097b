/** Rules about prototypes, parameter suffixes and implicit arguments. */
import { implicitFlagWithoutArg } from '../implicitFlagWithoutArg';
import { implicitLegacyImpl } from '../implicitLegacyImpl';
import { implicitMultipleProgAux } from '../implicitMultipleProgAux';
import { implicitNotTrailing } from '../implicitNotTrailing';
import { implicitWithoutFlag } from '../implicitWithoutFlag';
import { protoBadParamType } from '../protoBadParamType';
import { protoBadReturnType } from '../protoBadReturnType';
import { protoTooManyArgs } from '../protoTooManyArgs';
import { suffixConstCount } from '../suffixConstCount';
import { suffixRemoved } from '../suffixRemoved';
import { suffixSizeMisplaced } from '../suffixSizeMisplaced';
import { suffixType } from '../suffixType';
import { suffixVoidPointer } from '../suffixVoidPointer';
import type { Rule } from '../types';

export const PROTOTYPE_RULES: Rule[] = [
  protoTooManyArgs,
  protoBadParamType,
  protoBadReturnType,
  suffixVoidPointer,
  suffixSizeMisplaced,
  suffixType,
  suffixConstCount,
  suffixRemoved,
  implicitWithoutFlag,
  implicitFlagWithoutArg,
  implicitNotTrailing,
  implicitMultipleProgAux,
  implicitLegacyImpl,
];
