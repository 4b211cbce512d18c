// `npm install` and `npm ci` run this: dist/ is built once here, so `npm start` and the CLI only run
// node. A production install without dev dependencies has no TypeScript: it keeps the dist/ it was
// built with (build, then `npm prune --omit=dev`) and says so when there is none.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
let tsc
try {
  tsc = require.resolve('typescript/bin/tsc')
} catch {
  if (!fs.existsSync('dist/src/main.js'))
    process.stderr.write('parta: no TypeScript and no dist/: install with dev dependencies once to build.\n')
  process.exit(0)
}
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' })
process.exit(r.status ?? 1)
