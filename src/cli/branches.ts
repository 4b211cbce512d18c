import { defineCommand, failure, parseOptions, required } from './command.js'
import { logCreated } from './operator-log.js'

const MAX_NAME = 50 // §7.1: branch name is string(50)

export const branchCreate = defineCommand({
  synopsis: 'branch create --name N [--json]',
  summary: 'create an active branch and print its id',
  parse(argv) {
    const v = parseOptions(argv, { name: { type: 'string' }, json: { type: 'boolean', default: false } })
    const name = required(v.name, 'name').trim()
    if (name === '') throw failure('--name must not be empty')
    if ([...name].length > MAX_NAME) throw failure(`--name must be at most ${MAX_NAME} characters`)
    return { name, json: v.json }
  },
  async run({ db, args, out, tz }) {
    const attributes = { name: args.name, is_active: 1, subject_ids: [], weight: 0 }
    const id = await db.kysely.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('branches')
        .values({ ...attributes, subject_ids: '[]' })
        .returning('id')
        .executeTakeFirstOrThrow()
      const id = Number(row.id)
      await logCreated(trx, tz, { entity: 'Branch', entityId: id, attributes, visibility: 'all' })
      return id
    })
    if (args.json) return out.json({ id, name: args.name })
    out.line(`Created branch ${id} "${args.name}".`)
  },
})
