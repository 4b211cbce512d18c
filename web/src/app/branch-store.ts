/** The branch the browser last worked in, kept across visits (the boot script reads it before sign-in is known). */
const BRANCH_KEY = 'parta.branch'

export function keptBranch(): number | null {
  try {
    const kept = Number(localStorage.getItem(BRANCH_KEY))
    return Number.isInteger(kept) && kept > 0 ? kept : null
  } catch {
    return null
  }
}

export function keepBranch(branch: number): void {
  try {
    localStorage.setItem(BRANCH_KEY, String(branch))
  } catch {
    // storage refused (private mode, quota): the switcher still works for this visit
  }
}
