import { CUSTOM_TYPES } from '../engine/custom-fields.js'
import { exact, ids } from '../engine/filters.js'
import { defineModel } from '../engine/model.js'
import { choice, int, stringList, text } from '../fields/index.js'

export const CUSTOM_MODELS = ['customer', 'group', 'pay', 'lesson', 'teacher'] as const

/** §7.29 CustomField [ext]: declares the `custom_<code>` fields of §5.10; admins write, all read. */
export const customField = defineModel({
  slug: 'custom-field',
  table: 'custom_fields',
  logName: 'CustomField',
  description:
    'Declares the `custom_<code>` fields of customers, groups, pays, lessons and teachers; admins write.',
  scope: 'global',
  writers: 'admin',
  fields: {
    id: int({ readOnly: true }),
    model: choice(CUSTOM_MODELS, { required: true, createOnly: true, label: 'Модель' }),
    code: text(50, {
      required: true,
      createOnly: true,
      label: 'Код',
      description: 'Lower-case letters, digits and `_`, starting with a letter; the key is `custom_<code>`.',
    }),
    label: text(100, { required: true, label: 'Название' }),
    type: choice(CUSTOM_TYPES, { required: true, createOnly: true, label: 'Тип' }),
    options: stringList({ label: 'Варианты' }),
    weight: int({ label: 'Порядок' }),
  },
  filters: { ...ids(), model: exact('model'), code: exact('code') },
  order: [
    ['model', 'asc'],
    ['weight', 'asc'],
    ['id', 'asc'],
  ],
  examples: {
    create: { model: 'customer', code: 'school', label: 'Школа', type: 'string' },
    update: { label: 'Школа (номер)', weight: 1 },
  },
  hooks: {
    async prepare(draft, ctx) {
      const v = draft.values
      if (draft.action === 'create' && typeof v.code === 'string' && !draft.errors.code) {
        if (!/^[a-z][a-z0-9_]*$/.test(v.code)) draft.addError('code', 'Значение «Код» неверно.')
        const taken = await ctx.trx
          .selectFrom('custom_fields')
          .select('id')
          .where('model', '=', v.model as string)
          .where('code', '=', v.code)
          .executeTakeFirst()
        if (taken) draft.addError('code', `Значение «${v.code}» для «Код» уже занято.`)
      }
      const listed = v.type === 'select' || v.type === 'multiselect'
      if (listed && (v.options as string[] | undefined)?.length === 0) {
        draft.addError('options', 'Необходимо заполнить «Варианты».')
      }
      if (!listed && draft.action === 'create') draft.set('options', [])
    },
    async afterDelete(rec, ctx) {
      await ctx.trx.deleteFrom('custom_values').where('field_id', '=', rec.id).execute()
    },
  },
})
