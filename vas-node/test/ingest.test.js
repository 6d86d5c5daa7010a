// Ingest dry run and inherited rules. Oracles: the KO SIPs' recorded reports (interop
// test), the referential's durations worked out by hand, the ATR against xmllint.
'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const vas = require('..')

const ROOT = path.join(__dirname, '..', '..')
const REFS = path.join(ROOT, 'examples', 'referentials')
const KO_REFS = path.join(ROOT, 'tests', 'fixtures', 'referentials', 'integration-ingest-internal')
const KO = path.join(ROOT, 'tests', 'interop', 'ko')
const PDF = path.join(ROOT, 'tests', 'interop', 'content', 'annexe.pdf')
const XSD = path.join(ROOT, 'vas-core', 'schemas', '2.3', 'seda-2.3-main.xsd')
const CATALOG = path.join(ROOT, 'vas-core', 'schemas', 'catalog.xml')

function tmpdir(t) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'vas-node-ingest-'))
  t.after(() => fs.rmSync(d, { recursive: true, force: true }))
  return d
}

/** A SIP the example referentials accept: a file with an appraisal rule, two items. */
function buildSip(file, rule = 'ACC-00003') {
  const b = new vas.SipBuilder('2.3')
  b.setHeader({ archivalAgency: 'AG-ARCHIVES', transferringAgency: 'SRV-MARCHES', originatingAgency: 'SRV-MARCHES', archivalAgreement: 'IC-DEMO', messageIdentifier: 'RULES-1' })
  const d = b.addUnit(null, 'Dossier', {
    id: 'DOSSIER', descriptionLevel: 'File',
    rules: [{ category: 'AppraisalRule', rule: 'APP-MARCHE-10', startDate: '2025-03-03' }, { category: 'AccessRule', rule: 'ACC-00001', startDate: '2025-03-03' }],
    finalActions: [{ category: 'AppraisalRule', action: 'Destroy' }],
  })
  const pv = b.addUnit(d, 'Procès-verbal', { id: 'PV', descriptionLevel: 'Item', rules: [{ category: 'AccessRule', rule, startDate: '2025-03-03' }] })
  b.addObject(pv, PDF)
  b.writeSync(file, { deterministic: true })
  return file
}

test('dry run: accepted SIP, report and ATR', async (t) => {
  const dir = tmpdir(t)
  const sip = buildSip(path.join(dir, 'sip.zip'))
  const r = await vas.dryRunIngest(sip, { referentials: REFS })
  assert.equal(r.accepted, true)
  assert.equal(r.report.outcome, 'OK')
  assert.equal(r.report.evType, 'PROCESS_SIP_UNITARY')
  assert.ok(r.report.events.some((e) => e.outDetail === 'CHECK_DIGEST.OK'))
  assert.deepEqual(Object.keys(r.report.lifecycles).sort(), ['objectGroups', 'units'])
  assert.ok(r.report.lifecycles.units.PV.length > 0)
  fs.writeFileSync(path.join(dir, 'atr.xml'), r.atr)
  const lint = spawnSync('xmllint', ['--nonet', '--noout', '--schema', XSD, path.join(dir, 'atr.xml')], { encoding: 'utf8', env: { ...process.env, XML_CATALOG_FILES: CATALOG } })
  assert.equal(lint.status, 0, lint.stderr)
  assert.match(r.atr, /<ReplyCode>OK<\/ReplyCode>/)
  // without referentials the checks that need them are skipped; the verdict stays OK
  const bare = vas.dryRunIngestSync(sip)
  assert.equal(bare.accepted, true)
  // with a context
  const ctx = await vas.dryRunIngest(sip, { referentials: REFS, context: 'DEFAULT_WORKFLOW' })
  assert.equal(ctx.accepted, true)
})

test('dry run: a KO SIP is a verdict, not an exception', async () => {
  const r = await vas.dryRunIngest(path.join(KO, 'SIP_INCORRECT_ALGORITHM.zip'), { referentials: KO_REFS })
  assert.equal(r.accepted, false)
  assert.equal(r.report.outcome, 'KO')
  assert.match(r.atr, /<ReplyCode>KO<\/ReplyCode>/)
})

test('dry run errors', async (t) => {
  const dir = tmpdir(t)
  await assert.rejects(vas.dryRunIngest(path.join(dir, 'missing.zip')), { code: 'VAS_NOT_FOUND' })
  assert.throws(() => vas.dryRunIngestSync(path.join(KO, 'SIP_INCORRECT_ALGORITHM.zip'), { referentials: path.join(dir, 'no-refs') }),
    { code: 'VAS_NOT_FOUND' })
  assert.throws(() => vas.dryRunIngestSync(42))
})

test('inherited rules and decisions, from a SIP, a manifest Buffer, one unit', async (t) => {
  const dir = tmpdir(t)
  const sip = buildSip(path.join(dir, 'sip.zip'))
  const r = await vas.computeRules(REFS, sip, { at: '2030-01-01' })
  assert.deepEqual(r.units.map((u) => u.id), ['DOSSIER', 'PV'])
  const pv = r.units.find((u) => u.id === 'PV')
  assert.equal(pv.title, 'Procès-verbal')
  const text = JSON.stringify(pv.inheritedRules)
  // ACC-00003: 25 years from 2025-03-03; APP-MARCHE-10 (inherited): 10 years
  assert.ok(text.includes('2050-03-03'), text)
  assert.ok(text.includes('2035-03-03'), text)
  assert.ok(text.includes('DOSSIER'), 'the appraisal rule is inherited from DOSSIER')
  assert.equal(pv.decisions.Communicable, false)
  assert.equal(r.units.find((u) => u.id === 'DOSSIER').decisions.Communicable, true)
  // the same from the manifest's bytes, and one unit only
  const manifest = spawnSync('python3', ['-c', 'import sys,zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("manifest.xml"))', sip])
  assert.equal(manifest.status, 0)
  const one = vas.computeRulesSync(REFS, manifest.stdout, { unit: 'PV', at: '2051-01-01' })
  assert.equal(one.units.length, 1)
  assert.deepEqual(one.units[0].inheritedRules, pv.inheritedRules)
  assert.equal(one.units[0].decisions.Communicable, true)
  const none = vas.computeRulesSync(REFS, manifest.stdout)
  assert.equal(none.units[0].decisions, undefined)
})

test('rules errors', async (t) => {
  const dir = tmpdir(t)
  const sip = buildSip(path.join(dir, 'sip.zip'))
  await assert.rejects(vas.computeRules(REFS, sip, { unit: 'NOPE' }), { code: 'VAS_NOT_FOUND', id: 'NOPE' })
  assert.throws(() => vas.computeRulesSync(path.join(dir, 'no-refs'), sip), { code: 'VAS_NOT_FOUND' })
  assert.throws(() => vas.computeRulesSync(REFS, sip, { at: 'tomorrow' }), { code: 'VAS_INVALID_INPUT' })
  await assert.rejects(vas.computeRules(REFS, path.join(dir, 'missing.xml')), { code: 'VAS_NOT_FOUND' })
  const bad = buildSip(path.join(dir, 'bad.zip'), 'ACC-99999')
  await assert.rejects(vas.computeRules(REFS, bad), (e) => {
    assert.match(e.code, /^VAS_/)
    assert.ok(e.outcomeCode, 'a Vitam outcome code')
    assert.match(e.message, /ACC-99999/)
    return true
  })
  assert.throws(() => vas.computeRulesSync(42, sip))
  assert.throws(() => vas.computeRulesSync(REFS, 42))
  assert.throws(() => vas.computeRulesSync(REFS, Buffer.from('<not-xml')), (e) => e.code === 'VAS_XML' || e.code === 'VAS_UNSUPPORTED')
})
