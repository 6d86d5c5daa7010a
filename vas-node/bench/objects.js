// Reading a stored object through the Node binding: Buffer (readObject), Readable
// (openObject, one worker hop per chunk) and file (exportObject), and building the SIP
// from a path vs a stream vs a Buffer. Prints one line per case (MB/s, median of runs).
// Usage: node bench/objects.js [MiB=64] [runs=3]   (use a release build: npm run build)
'use strict'
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const vas = require('..')

const MIB = Number(process.argv[2] || 64)
const RUNS = Number(process.argv[3] || 3)

async function time(fn) {
  const ms = []
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint()
    await fn(i)
    ms.push(Number(process.hrtime.bigint() - t) / 1e6)
  }
  ms.sort((a, b) => a - b)
  return ms[Math.floor(ms.length / 2)]
}

function report(name, ms) {
  console.log(`${name.padEnd(34)} ${ms.toFixed(0).padStart(7)} ms  ${(MIB / (ms / 1000)).toFixed(0).padStart(6)} MiB/s`)
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vas-node-bench-'))
  try {
    const data = crypto.randomBytes(MIB << 20)
    const src = path.join(dir, 'data.bin')
    fs.writeFileSync(src, data)
    const header = { archivalAgency: 'AG', transferringAgency: 'TA', archivalAgreement: 'IC-1', originatingAgency: 'SRV' }
    const build = async (i, how) => {
      const b = new vas.SipBuilder()
      b.setHeader(header)
      const u = b.addUnit(null, 'Objet')
      if (how === 'path') b.addObject(u, src)
      else if (how === 'buffer') b.addObject(u, data, { filename: 'data.bin' })
      else await b.addObjectStream(u, fs.createReadStream(src, { highWaterMark: 1 << 20 }), { filename: 'data.bin' })
      await b.write(path.join(dir, `sip-${how}-${i}.zip`), { compression: 'stored', identifyFormats: false })
    }
    for (const how of ['path', 'buffer', 'stream']) report(`SipBuilder.write from a ${how}`, await time((i) => build(i, how)))

    const archive = await vas.Archive.create(path.join(dir, 'archive'))
    const r = await archive.ingest(path.join(dir, 'sip-path-0.zip'))
    if (!r.accepted) throw new Error('not accepted')
    const unit = Object.entries(r.systemIds).find(([k]) => k.startsWith('AU'))[1]
    report('Archive.readObject (Buffer)', await time(async () => {
      const o = await archive.readObject('FULL_ACCESS', unit)
      if (o.data.length !== data.length) throw new Error('size')
    }))
    for (const chunk of [65536, 1 << 20]) {
      report(`Archive.openObject (Readable, ${chunk >> 10} KiB)`, await time(async () => {
        let n = 0
        for await (const c of archive.openObject('FULL_ACCESS', unit, 'BinaryMaster', { chunkSize: chunk })) n += c.length
        if (n !== data.length) throw new Error('size')
      }))
    }
    report('Archive.exportObject (file)', await time((i) => archive.exportObject('FULL_ACCESS', unit, 'BinaryMaster', path.join(dir, `out-${i}.bin`))))
    archive.close()
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((e) => { console.error(e); process.exit(1) })
