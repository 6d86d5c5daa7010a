// docs/bindings.md: its JavaScript example runs against this build.
'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')

test('the JavaScript example of docs/bindings.md runs', () => {
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'bindings.md'), 'utf8')
  const m = doc.match(/```js example\n([\s\S]*?)```/)
  assert.ok(m, 'no js example')
  const code = m[1].replace("require('vas')", `require(${JSON.stringify(path.join(__dirname, '..'))})`)
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 60000, cwd: path.join(__dirname, '..', '..') })
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /VAS_NOT_FOUND: /)
})

test('the error table of docs/bindings.md lists every code', () => {
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'bindings.md'), 'utf8')
  for (const k of require('..').errorKinds()) {
    assert.ok(doc.includes(`| \`${k.jsCode}\` |`), k.jsCode)
  }
})
