// Digests through the Node binding agree with node:crypto (an independent oracle).
'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const vas = require('..')

const NODE = { MD5: 'md5', 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' }
const SIZES = [0, 1, 63, 64, 65, 1000, 65535, 65536, 300001]
const ref = (alg, data) => crypto.createHash(NODE[alg]).update(data).digest('hex')

test('version is the workspace version', () => {
  const cargo = fs.readFileSync(path.join(__dirname, '..', '..', 'Cargo.toml'), 'utf8')
  const m = cargo.match(/\[workspace\.package\][^[]*?\nversion = "([^"]+)"/)
  assert.ok(m)
  assert.equal(vas.version(), m[1])
  assert.equal(require('../package.json').version, m[1])
})

test('the five SEDA algorithms', () => {
  assert.deepEqual(vas.digestAlgorithms().sort(), Object.keys(NODE).sort())
})

for (const alg of Object.keys(NODE)) {
  test(`digestSync and digest equal node:crypto for ${alg}`, async () => {
    for (const size of SIZES) {
      const data = crypto.randomBytes(size)
      const want = ref(alg, data)
      assert.equal(vas.digestSync(data, alg), want, `${alg} ${size}`)
      assert.equal(await vas.digest(data, alg), want)
      assert.equal(vas.digestSync(new Uint8Array(data), alg), want, 'plain Uint8Array')
    }
  })

  test(`Hasher streams like node:crypto for ${alg}`, () => {
    const h = new vas.Hasher(alg)
    const r = crypto.createHash(NODE[alg])
    assert.equal(h.algorithm, alg)
    let total = 0
    for (const size of [0, 5, 70000, 3, 131072]) {
      const chunk = crypto.randomBytes(size)
      h.update(chunk)
      r.update(chunk)
      total += size
      assert.equal(h.hexdigest(), r.copy().digest('hex'))
    }
    assert.equal(h.size, total)
    const raw = h.digest()
    assert.ok(Buffer.isBuffer(raw))
    assert.equal(raw.length, h.digestSize)
    assert.equal(raw.toString('hex'), h.hexdigest())
    const c = h.copy()
    c.update(Buffer.from('more'))
    assert.equal(h.hexdigest(), r.copy().digest('hex'), 'copy is independent')
    assert.equal(c.hexdigest(), r.update('more').digest('hex'))
  })
}

test('default algorithm is SHA-512; spellings are lenient', () => {
  const data = Buffer.from('abc')
  assert.equal(vas.digestSync(data), ref('SHA-512', data))
  assert.equal(new vas.Hasher().algorithm, 'SHA-512')
  for (const s of ['sha256', 'SHA256', 'Sha-256']) assert.equal(vas.digestSync(data, s), ref('SHA-256', data))
})

test('digestFile and digestFileSync', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vas-node-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const data = crypto.randomBytes(200001)
  const p = path.join(dir, 'obj.bin')
  fs.writeFileSync(p, data)
  const want = { digest: ref('SHA-384', data), size: data.length, algorithm: 'SHA-384' }
  assert.deepEqual(vas.digestFileSync(p, 'SHA-384'), want)
  assert.deepEqual(await vas.digestFile(p, 'SHA-384'), want)
  assert.equal((await vas.digestFile(p)).digest, ref('SHA-512', data))
})

test('async work runs off the event loop', async () => {
  const data = crypto.randomBytes(1 << 22)
  let ticks = 0
  const timer = setInterval(() => { ticks++ }, 1)
  const start = process.hrtime.bigint()
  const results = await Promise.all([vas.digest(data, 'SHA-512'), vas.digest(data, 'SHA-512')])
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  clearInterval(timer)
  assert.deepEqual(results, [ref('SHA-512', data), ref('SHA-512', data)])
  // A blocked loop could not tick at all while the digests ran.
  if (ms > 300) assert.ok(ticks > 5, `ticks=${ticks} in ${ms} ms`)
})
