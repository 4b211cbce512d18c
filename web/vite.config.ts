// The staff web app's build: `npm run build:web` (and `npm install`, through prepare) writes web/dist,
// which the server serves at `/`. Every text asset is also written gzip- and brotli-compressed, so the
// server sends the smaller one without compressing per request.
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import react from '@vitejs/plugin-react'
import { defineConfig, type Plugin } from 'vite'

const root = path.dirname(new URL(import.meta.url).pathname)

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
  plugins: [react(), precompress()],
  build: {
    outDir: path.join(root, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 800,
    reportCompressedSize: false,
    // web/dist/.vite/manifest.json: which chunks and CSS each module needs (bench/web.ts sums the first page's).
    manifest: true,
  },
  server: {
    // `npm run dev:web`: the app with hot reload, its API calls sent to a server on port 3000.
    proxy: { '/v2api': 'http://127.0.0.1:3000' },
  },
})
