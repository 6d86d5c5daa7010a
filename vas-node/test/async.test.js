// Long operations run on the libuv pool: the event loop keeps turning while they work.
'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const vas = require('..')

const ROOT = path.join(__dirname, '..', '..')

/** Runs `work()` while a 1 ms timer ticks; returns [result, ticks, milliseconds]. */
async function ticking(work) {
  let ticks = 0
  const timer = setInterval(() => { ticks++ }, 1)
  const start = process.hrtime.bigint()
  try {
    const result = await work()
    return [result, ticks, Number(process.hrtime.bigint() - start) / 1e6]
  } finally {
    clearInterval(timer)
  }
}

test('building, inspecting, dry-running, ingesting and verifying do not block the loop', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vas-node-async-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const big = crypto.randomBytes(4 << 20)
  const b = new vas.SipBuilder()
  b.setHeader({ archivalAgency: 'AG-ARCHIVES', transferringAgency: 'SRV-MARCHES', originatingAgency: 'SRV-MARCHES', archivalAgreement: 'IC-DEMO' })
  const u = b.addUnit(null, 'Gros fichier')
  b.addObject(u, big, { filename: 'big.bin' })
  const sip = path.join(dir, 'big.zip')
  const steps = [
    ['write', () => b.write(sip, { compressionLevel: 9 })],
    ['inspectSip', () => vas.inspectSip(sip)],
    ['dryRunIngest', () => vas.dryRunIngest(sip, { referentials: path.join(ROOT, 'examples', 'referentials') })],
  ]
  let archive
  steps.push(['Archive.create', async () => { archive = await vas.Archive.create(path.join(dir, 'archive')); return archive }])
  steps.push(['ingest', () => archive.ingest(sip)])
  steps.push(['verify', () => archive.verify()])
  for (const [name, work] of steps) {
    const [result, ticks, ms] = await ticking(work)
    assert.ok(result, name)
    // A blocked loop could not tick at all while the work ran.
    if (ms > 200) assert.ok(ticks > 5, `${name}: ${ticks} ticks in ${ms} ms`)
    t.diagnostic(`${name}: ${Math.round(ms)} ms, ${ticks} timer ticks`)
  }
  assert.equal((await archive.readObject('FULL_ACCESS', (await archive.search('FULL_ACCESS', { $query: {} })).$results[0]['#id'])).data.equals(big), true)
  archive.close()
})

test('addObjectStream spools each chunk off the event loop', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vas-node-stream-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const chunk = crypto.randomBytes(1 << 20)
  const count = 24
  // An async iterable whose chunks are ready at once: between them, only microtasks run,
  // so a timer can tick during addObjectStream only if the writes leave the event loop.
  async function * chunks () {
    for (let i = 0; i < count; i++) yield chunk
  }
  const b = new vas.SipBuilder()
  b.setHeader({ archivalAgency: 'AG-ARCHIVES', transferringAgency: 'SRV-MARCHES' })
  const u = b.addUnit(null, 'Flux')
  const [, ticks, ms] = await ticking(() => b.addObjectStream(u, chunks(), { filename: 'flux.bin' }))
  t.diagnostic(`addObjectStream: ${count} MiB in ${Math.round(ms)} ms, ${ticks} timer ticks`)
  if (ms > 30) assert.ok(ticks > 0, `the event loop did not turn in ${ms} ms of spooling`)
  // What was spooled is the stream: size and digest of the object in the package.
  const report = await b.write(path.join(dir, 'flux.zip'), { digestAlgorithm: 'SHA-256' })
  const h = crypto.createHash('sha256')
  for (let i = 0; i < count; i++) h.update(chunk)
  assert.equal(report.objects[0].size, count << 20)
  assert.equal(report.objects[0].digest, h.digest('hex'))
})
