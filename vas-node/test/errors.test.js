// The error surface: Error instances with err.code from the shared error table.
'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const vas = require('..')

test('the error table is complete and consistent', () => {
  const kinds = vas.errorKinds()
  assert.ok(kinds.length >= 15)
  assert.deepEqual(kinds.map((k) => k.cCode), kinds.map((_, i) => i + 1))
  assert.equal(new Set(kinds.map((k) => k.jsCode)).size, kinds.length)
  const src = fs.readFileSync(path.join(__dirname, '..', '..', 'vas-core', 'src', 'error.rs'), 'utf8')
  for (const k of kinds) {
    assert.match(k.jsCode, /^VAS_[A-Z_]+$/)
    assert.ok(src.includes(`"${k.jsCode}"`), k.jsCode)
    assert.ok(src.includes(`"${k.pythonClass}"`), k.pythonClass)
  }
  const nf = kinds.find((k) => k.name === 'NotFound')
  assert.deepEqual(nf, { name: 'NotFound', jsCode: 'VAS_NOT_FOUND', cCode: 5, pythonClass: 'NotFoundError', pythonBuiltin: 'FileNotFoundError' })
  assert.equal(kinds.find((k) => k.name === 'Integrity').pythonBuiltin, undefined)
})

test('missing file: VAS_NOT_FOUND with path, sync and async', async () => {
  const missing = path.join(os.tmpdir(), `vas-node-missing-${process.pid}.bin`)
  const check = (e) => {
    assert.ok(e instanceof Error)
    assert.equal(e.code, 'VAS_NOT_FOUND')
    assert.equal(e.kind, 'NotFound')
    assert.equal(e.path, missing)
    assert.equal(e.errno, 2)
    assert.ok(e.message.includes(missing), e.message)
    assert.equal(e.message.split('No such file').length, 2, 'cause text once')
    assert.equal(e.line, undefined)
    return true
  }
  assert.throws(() => vas.digestFileSync(missing), check)
  await assert.rejects(vas.digestFile(missing, 'MD5'), check)
})

test('bad algorithm: VAS_INVALID_INPUT everywhere', async () => {
  const check = (e) => {
    assert.ok(e instanceof Error)
    assert.equal(e.code, 'VAS_INVALID_INPUT')
    assert.equal(e.kind, 'InvalidInput')
    assert.match(e.message, /expected one of/)
    return true
  }
  assert.throws(() => vas.digestSync(Buffer.from('x'), 'CRC32'), check)
  assert.throws(() => vas.digest(Buffer.from('x'), 'CRC32'), check)
  assert.throws(() => vas.digestFileSync(__filename, 'sha3'), check)
  assert.throws(() => new vas.Hasher('whirlpool'), check)
})

test('a directory is not a file', async () => {
  await assert.rejects(vas.digestFile(os.tmpdir()), (e) => {
    assert.ok(e.code.startsWith('VAS_'))
    assert.equal(e.path, os.tmpdir())
    return true
  })
})

test('wrong argument types are rejected by the glue', () => {
  assert.throws(() => vas.digestSync('abc'))
  assert.throws(() => vas.digestSync(42))
  assert.throws(() => vas.digestFileSync(42))
  assert.throws(() => new vas.Hasher().update('text'))
})

test('every kind maps to its code, with the full context', () => {
  for (const k of vas.errorKinds()) {
    assert.throws(() => vas._raiseError(k.name, 'something is wrong', {
      path: 'Content/a.pdf', element: '/ArchiveTransfer/DataObjectPackage', line: 12, column: 5, id: 'BDO1', outcomeCode: 'CHECK_DIGEST.KO'
    }), (e) => {
      assert.ok(e instanceof Error)
      assert.equal(e.code, k.jsCode)
      assert.equal(e.kind, k.name)
      assert.equal(e.message, 'something is wrong (at Content/a.pdf:12:5, /ArchiveTransfer/DataObjectPackage, id BDO1, CHECK_DIGEST.KO)')
      assert.deepEqual([e.path, e.element, e.line, e.column, e.id, e.outcomeCode],
        ['Content/a.pdf', '/ArchiveTransfer/DataObjectPackage', 12, 5, 'BDO1', 'CHECK_DIGEST.KO'])
      return true
    })
    assert.throws(() => vas._raiseError(k.name, 'bare'), (e) => {
      assert.equal(e.code, k.jsCode)
      assert.equal(e.message, 'bare')
      assert.deepEqual([e.path, e.element, e.line, e.column, e.id, e.outcomeCode, e.errno], Array(7).fill(undefined))
      return true
    })
  }
})

test('a panic in vas is an error, never an abort', async () => {
  assert.throws(() => vas._panicForTest(false), (e) => {
    assert.ok(e instanceof Error)
    assert.match(e.message, /deliberate panic on the JS thread/)
    return true
  })
  await assert.rejects(vas._panicForTest(true), (e) => {
    assert.ok(e instanceof Error)
    assert.equal(e.code, 'VAS_INTERNAL')
    assert.match(e.message, /deliberate panic in a worker/)
    return true
  })
  // Still alive and working.
  assert.equal(vas.digestSync(Buffer.from('abc'), 'MD5'), '900150983cd24fb0d6963f7d28e17f72')
})
