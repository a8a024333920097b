/** Builds the context rules run in from the workspace index. */
import type { WorkspaceIndex } from '../index/workspaceIndex';
import type { RuleContext } from './types';

export function ruleContext(index: WorkspaceIndex, complete: boolean, text: (file: string) => string | undefined): RuleContext {
  const model = index.model;
  // One read per file and run: rules ask for a file's text per finding (40 000 findings read a file 40 000 times).
  const texts = new Map<string, string | undefined>();
  const cachedText = (file: string) => {
    if (!texts.has(file)) texts.set(file, text(file));
    return texts.get(file);
  };
  return {
    model,
    version: model.context.version,
    flags: model.context.flags,
    complete,
    declaredInIncludes: (file, name) => index.declaredInIncludes(file, name),
    text: cachedText,
    textSource: text,
  };
}
