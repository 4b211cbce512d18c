// Writes the typed client's model module (web/src/api/models.gen.ts) from the compiled model
// declarations: `npm run gen:client` builds first. The file is committed, so the app and the tests
// compile without this step; test/api/client-gen.test.ts fails when it falls behind the declarations.
import fs from 'node:fs'
import { generateClient } from '../dist/src/engine/client-gen.js'
import { models } from '../dist/src/models/index.js'

const target = new URL('../web/src/api/models.gen.ts', import.meta.url)
fs.writeFileSync(target, generateClient(models))
process.stdout.write(`wrote ${target.pathname}\n`)
