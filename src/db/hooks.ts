/** Hooks run after a commit: a failing one must neither undo the commit nor stop the others. */
export function runHooks(hooks: ReadonlyArray<() => void>): void {
  for (const hook of hooks) {
    try {
      hook();
    } catch {
      // Nothing to roll back: the change is committed; a lost event is recovered by a resume.
    }
  }
}
