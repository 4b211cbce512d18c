// `npm install` and `npm ci` run this: dist/ (the server) and web/dist (the staff app) are built once
// here, so `npm start` and the CLI only run node. A production install without dev dependencies has no
// TypeScript or Vite: it keeps the builds it was made with (build, then `npm prune --omit=dev`) and
// says so when there are none.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const resolve = (id) => {
  try {
    return require.resolve(id)
  } catch {
    return null
  }
}
// Vite's exports map hides its bin; its package.json is exported.
const viteBin = () => {
  const pkg = resolve('vite/package.json')
  return pkg ? pkg.replace(/package\.json$/, 'bin/vite.js') : null
}
const run = (args) => spawnSync(process.execPath, args, { stdio: 'inherit' }).status ?? 1

const tsc = resolve('typescript/bin/tsc')
const vite = viteBin()
if (!tsc || !vite) {
  if (!fs.existsSync('dist/src/main.js') || !fs.existsSync('web/dist/index.html'))
    process.stderr.write(
      'parta: no TypeScript/Vite and no build: install with dev dependencies once to build.\n',
    )
  process.exit(0)
}
let status = run([tsc, '-p', 'tsconfig.build.json'])
if (status === 0) status = run([vite, 'build', '-c', 'web/vite.config.ts', '--logLevel', 'warn'])
process.exit(status)
