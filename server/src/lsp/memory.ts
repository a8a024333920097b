/**
 * A full garbage collection once the background index is done: indexing leaves tens of MB of garbage (file lists,
 * the facts cache's JSON, worker results) that V8 would otherwise keep until allocation pressure, which an idle
 * language server never creates. Only when Node runs with --expose-gc (the VS Code extension starts the server so).
 */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc === 'function') gc();
}
