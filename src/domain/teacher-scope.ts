import type { ActionCtx, Draft, Scope, Scoping } from '../engine/model.js'
import { throughParent } from '../engine/repository.js'
import { messages } from '../fields/kind.js'

/**
 * Teacher sub-resources (§7.24.1, §7.24.2): working hours and rates hang off a teacher named by the
 * scoping parameter `teacher_id`, and belong to the branches of that teacher (§2.5).
 */

/** Where a teacher's branches are kept: the link table of `teacher.branch_ids`. */
const TEACHER_BRANCHES = 'teachers_branch_ids'

/** §1.8: `teacher_id` is required for index and create, optional but matching for update and delete. */
export const byTeacher: Scoping = { params: [{ name: 'teacher_id', field: 'teacher_id', example: 1 }] }

/** Rows of `table` whose teacher belongs to the branch. */
export function teacherScope(table: string): Scope {
  return throughParent(table, 'teacher_id', TEACHER_BRANCHES)
}

/** On create the teacher must exist and belong to the path branch (archived teachers included), else 422. */
export async function requireBranchTeacher(draft: Draft, ctx: ActionCtx): Promise<void> {
  if (draft.action !== 'create') return
  const found = await ctx.trx
    .selectFrom(TEACHER_BRANCHES)
    .select('record_id')
    .where('record_id', '=', draft.values.teacher_id as number)
    .where('value', '=', ctx.pathBranch)
    .executeTakeFirst()
  if (!found) draft.addError('teacher_id', messages.invalid('Педагог'))
}
