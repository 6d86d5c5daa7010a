// The cross-language interop fixture (tests/interop/), Node side: build the spec's SIP
// through the Node SipBuilder API, deterministic, and get the very bytes Rust, Python and C
// produce (SHA-256 in expected.json); dry-run it and the KO SIPs and get the same reports.
'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const vas = require('..')

const DIR = path.join(__dirname, '..', '..', 'tests', 'interop')
const spec = JSON.parse(fs.readFileSync(path.join(DIR, 'spec.json'), 'utf8'))
const expected = JSON.parse(fs.readFileSync(path.join(DIR, 'expected.json'), 'utf8'))

/** Builds the spec's SIP with the Node builder; returns the builder, unwritten. */
function builderFromSpec() {
  const b = new vas.SipBuilder(spec.seda_version)
  const h = spec.header
  b.setHeader({
    messageIdentifier: h.message_identifier,
    date: h.date,
    comment: h.comment,
    archivalAgreement: h.archival_agreement,
    archivalAgency: h.archival_agency,
    transferringAgency: h.transferring_agency,
    originatingAgency: h.originating_agency,
    submissionAgency: h.submission_agency,
  })
  const keys = {}
  for (const u of spec.units) {
    const id = b.addUnit(u.parent === null ? null : keys[u.parent], u.title, {
      descriptionLevel: u.description_level,
      description: u.description,
      startDate: u.start_date,
      endDate: u.end_date,
      rules: u.rules.map((r) => ({ category: r.category, rule: r.rule, startDate: r.start_date })),
      finalActions: u.final_actions,
      fields: u.fields,
    })
    keys[u.key] = id
    for (const o of u.objects) {
      if (o.path !== undefined) {
        b.addObject(id, path.join(DIR, o.path), { usage: o.usage })
      } else {
        b.addObject(id, Buffer.from(o.bytes_utf8, 'utf8'), { filename: o.filename, usage: o.usage })
      }
    }
  }
  return b
}

function buildOptions() {
  const o = spec.options
  return {
    format: o.format,
    digestAlgorithm: o.digest_algorithm,
    compression: o.compression,
    compressionLevel: o.compression_level,
    deterministic: o.deterministic,
    manifestLast: o.manifest_last,
    identifyFormats: o.identify_formats,
  }
}

/** The part of a report every language must reproduce. */
function project(report) {
  return {
    outcome: report.outcome,
    outDetail: report.outDetail,
    events: report.events.map((e) => [e.evType, e.outcome, e.outDetail, e.outMessg]),
  }
}

const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex')

test('the Node builder produces the interop SIP byte for byte, and Vitam accepts it', async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vas-node-interop-'))
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }))
  const sip = path.join(tmp, 'interop.zip')
  const report = await builderFromSpec().write(sip, buildOptions())
  const bytes = fs.readFileSync(sip)
  assert.equal(bytes.length, expected.sip.size)
  assert.equal(sha256(bytes), expected.sip.sha256)
  assert.equal(report.objects.length, 3)
  assert.equal(report.units, spec.units.length)
  // the synchronous and in-memory paths give the same bytes
  const mem = builderFromSpec().toBufferSync(buildOptions())
  assert.equal(sha256(mem.data), expected.sip.sha256)
  assert.deepEqual(mem.report, report)

  const ok = await vas.dryRunIngest(sip, { referentials: path.join(DIR, spec.ok_referentials) })
  assert.equal(ok.accepted, true)
  assert.deepEqual(project(ok.report), expected.sip.dry_run)
  assert.match(ok.atr, /<ArchiveTransferReply/)
})

test('the KO SIPs give the recorded reports', async () => {
  const refs = path.join(DIR, spec.ko_referentials)
  const names = fs.readdirSync(path.join(DIR, 'ko')).sort()
  assert.deepEqual(names, Object.keys(expected.ko).sort())
  for (const name of names) {
    const r = await vas.dryRunIngest(path.join(DIR, 'ko', name), { referentials: refs })
    assert.equal(r.accepted, false, name)
    assert.deepEqual(project(r.report), expected.ko[name], name)
    const s = vas.dryRunIngestSync(path.join(DIR, 'ko', name), { referentials: refs })
    assert.deepEqual(project(s.report), expected.ko[name], `${name} (sync)`)
  }
})
