// The staff web app's build: `npm run build:web` (and `npm install`, through prepare) writes web/dist,
// which the server serves at `/`. Every text asset is also written gzip- and brotli-compressed, so the
// server sends the smaller one without compressing per request.
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import zlib from 'node:zlib'
import react from '@vitejs/plugin-react'
import { defineConfig, type Plugin } from 'vite'

const root = path.dirname(new URL(import.meta.url).pathname)

const MANTINE_MODULE = /@mantine[\\/]core[\\/]esm[\\/].*[\\/](\w+)\.module\.mjs$/
const MANTINE_STYLE = /@mantine[\\/]core[\\/]styles[\\/]([\w-]+)\.css$/
/** The files every page needs before any component's (Mantine's own order: baseline, variables, global). */
const MANTINE_GLOBAL = ['baseline', 'default-css-variables', 'global']

/**
 * Mantine's styles come per component (`src/mantine-styles.ts`) instead of the whole `styles.css` (255 kB,
 * most of it for components the app never shows). The build fails when that list is not exactly the
 * components the built code renders, in the order of Mantine's own `styles.css` (a component's rules
 * after those of the components it is built on), and prints the list it should be.
 */
function mantineStyles(): Plugin {
  return {
    name: 'parta-mantine-styles',
    apply: 'build',
    generateBundle(_options, bundle) {
      const used = new Set<string>(MANTINE_GLOBAL)
      for (const out of Object.values(bundle))
        if (out.type === 'chunk')
          for (const [id, mod] of Object.entries(out.modules)) {
            const name = MANTINE_MODULE.exec(id)?.[1]
            if (name && mod.renderedLength > 0) used.add(name)
          }
      const listId = [...this.getModuleIds()].find((id) => id.endsWith(path.join('src', 'mantine-styles.ts')))
      const imported = (listId ? (this.getModuleInfo(listId)?.importedIds ?? []) : [])
        .map((id) => MANTINE_STYLE.exec(id)?.[1])
        .filter((n): n is string => !!n)
      const resolve = createRequire(import.meta.url).resolve
      const whole = fs.readFileSync(resolve('@mantine/core/styles.css'), 'utf8')
      // Where each component's rules stand in the whole file: the order they must keep.
      const rank = (name: string) => {
        const file = fs.readFileSync(resolve(`@mantine/core/styles/${name}.css`), 'utf8')
        const at = whole.indexOf(file.replace(/^\/\*.*?\*\/\s*/s, '').slice(0, 200))
        if (at < 0) this.error(`@mantine/core/styles/${name}.css is not part of @mantine/core/styles.css`)
        return at
      }
      const expected = [...used].sort((a, b) => rank(a) - rank(b))
      if (expected.join() !== imported.join())
        this.error(
          `web/src/mantine-styles.ts must import exactly the styles of the Mantine components the app renders, in this order:\n${expected.map((n) => `import '@mantine/core/styles/${n}.css'`).join('\n')}`,
        )
    },
  }
}

/**
 * The app's code and styles (`src/main.tsx`, which the boot script always imports) are asked for by
 * index.html itself, beside the boot script, rather than once the boot script has been fetched and run:
 * the largest file of the first page then starts a round trip earlier.
 */
function preloadApp(): Plugin {
  return {
    name: 'parta-preload-app',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        const bundle = ctx.bundle
        if (!bundle) return
        const chunks = Object.values(bundle).filter((o) => o.type === 'chunk')
        const app = chunks.find((c) => c.facadeModuleId?.endsWith(path.join('src', 'main.tsx')))
        if (!app) this.error('no chunk for src/main.tsx')
        const js = new Set<string>()
        const css = new Set<string>()
        const visit = (file: string) => {
          const chunk = chunks.find((c) => c.fileName === file)
          if (!chunk || js.has(file)) return
          js.add(file)
          for (const f of chunk.viteMetadata?.importedCss ?? []) css.add(f)
          for (const f of chunk.imports) visit(f)
        }
        visit(app.fileName)
        // Largest first (the shared code), and not what index.html already asks for (the boot script's).
        const size = (f: string) => chunks.find((c) => c.fileName === f)?.code.length ?? 0
        const files = [...js].filter((f) => !html.includes(`/${f}"`)).sort((a, b) => size(b) - size(a))
        return [
          ...[...css].map((f) => ({
            tag: 'link',
            attrs: { rel: 'stylesheet', href: `/${f}` },
            injectTo: 'head' as const,
          })),
          ...files.map((f) => ({
            tag: 'link',
            attrs: { rel: 'modulepreload', crossorigin: true, href: `/${f}` },
            injectTo: 'head' as const,
          })),
        ]
      },
    },
  }
}

function precompress(): Plugin {
  return {
    name: 'parta-precompress',
    apply: 'build',
    closeBundle() {
      const walk = (dir: string): string[] =>
        fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
          const p = path.join(dir, e.name)
          return e.isDirectory() ? walk(p) : [p]
        })
      for (const file of walk(path.join(root, 'dist'))) {
        if (!/\.(js|css|html|svg|json|txt)$/.test(file)) continue
        const body = fs.readFileSync(file)
        fs.writeFileSync(`${file}.gz`, zlib.gzipSync(body, { level: 9 }))
        fs.writeFileSync(
          `${file}.br`,
          zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }),
        )
      }
    },
  }
}

export default defineConfig({
  root,
  base: '/',
  plugins: [react(), mantineStyles(), preloadApp(), precompress()],
  build: {
    outDir: path.join(root, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 800,
    reportCompressedSize: false,
    // web/dist/.vite/manifest.json: which chunks and CSS each module needs (bench/web.ts sums the first page's).
    manifest: true,
    rolldownOptions: {
      output: {
        // Few, larger chunks: split the way the bundler splits by default, the first page loaded some 35
        // files, most a Mantine component or a helper of a few hundred bytes shared with some page, six at a
        // time over HTTP/1.1. Now: the boot script with what it imports (one file); all third-party code
        // but the date pickers, which only some pages use (the ~20 kB gzipped of components that only later
        // pages show cost less than the round trips); the app's shared code (frame, API client, helpers,
        // texts); and each page's own chunk.
        codeSplitting: {
          groups: [
            {
              name: 'boot',
              priority: 2,
              test: /src[\\/]boot\.ts$/,
            },
            {
              name: 'vendor',
              priority: 1,
              test: (id: string) =>
                /node_modules/.test(id) && !/node_modules[\\/](@mantine[\\/]dates|dayjs)[\\/]/.test(id),
            },
            { name: 'app', test: /src[\\/](app|api|lib|i18n)[\\/]/ },
          ],
        },
      },
    },
  },
  server: {
    // `npm run dev:web`: the app with hot reload, its API calls sent to a server on port 3000.
    proxy: { '/v2api': 'http://127.0.0.1:3000' },
  },
})
