// docs/guide-node.md: its JavaScript samples run, in order, as one script from the
// repository root; its TypeScript sample type-checks against the package's declarations.
'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')

const ROOT = path.join(__dirname, '..', '..')
const PKG = path.join(__dirname, '..')
const doc = fs.readFileSync(path.join(ROOT, 'docs', 'guide-node.md'), 'utf8')
const blocks = (lang) => [...doc.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1])

test('the JavaScript samples of docs/guide-node.md run', () => {
  const js = blocks('js')
  assert.ok(js.length >= 8, `only ${js.length} samples`)
  const body = js.join('\n').replaceAll("require('vas')", `require(${JSON.stringify(PKG)})`)
  const script = `(async () => {\n${body}\n})().catch((e) => { console.error(e); process.exit(1) })\n`
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: ROOT, timeout: 300000 })
  assert.equal(r.status, 0, `${r.stderr}\n${r.stdout}`)
  for (const want of ['3 units, 3 objects', 'accepted: true PROCESS_SIP_UNITARY.OK', 'accepted: false', 'ingest OK',
    '1 hit(s)', 'verify ok: true', 'VAS_NOT_FOUND', 'VAS_INVALID_INPUT CHECK_DATAOBJECTPACKAGE', 'communicable in 2030: false',
    'eliminated: 1 unit(s), 2 object(s)', 'DESTROY NON_DESTROYABLE_HAS_CHILD_UNITS', 'DESTROY DELETED', 'no report: VAS_NOT_FOUND']) {
    assert.ok(r.stdout.includes(want), `${want}\n---\n${r.stdout}`)
  }
})

test('the TypeScript sample of docs/guide-node.md type-checks', (t) => {
  const ts = blocks('ts')
  assert.equal(ts.length, 1)
  const file = path.join(__dirname, `.guide-sample-${process.pid}.ts`)
  fs.writeFileSync(file, ts[0].replaceAll("from 'vas'", "from '..'"))
  t.after(() => fs.rmSync(file, { force: true }))
  const tsc = path.join(PKG, 'node_modules', 'typescript', 'bin', 'tsc')
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'commonjs',
    '--moduleResolution', 'node', '--types', 'node', file], { encoding: 'utf8', cwd: PKG })
  assert.equal(r.status, 0, r.stdout + r.stderr)
})
