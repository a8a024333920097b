/** Builds the context rules run in from the workspace index. */
import type { WorkspaceIndex } from '../index/workspaceIndex';
import type { RuleContext } from './types';

export function ruleContext(index: WorkspaceIndex, complete: boolean, text: (file: string) => string | undefined): RuleContext {
  const model = index.model;
  return {
    model,
    version: model.context.version,
    flags: model.context.flags,
    complete,
    declaredInIncludes: (file, name) => index.declaredInIncludes(file, name),
    text,
  };
}
