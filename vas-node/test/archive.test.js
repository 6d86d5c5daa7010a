// The embedded archive through Node: ingest, search, get, objects (Buffer, stream, file),
// DIP, verify, audit with damage and repair, logbook, and the errors. Oracles: the
// original bytes and node:crypto, Python's zipfile for the DIP.
'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const vas = require('..')

const ROOT = path.join(__dirname, '..', '..')
const REFS = path.join(ROOT, 'examples', 'referentials')
const PDF = path.join(ROOT, 'tests', 'interop', 'content', 'annexe.pdf')
const KO = path.join(ROOT, 'tests', 'interop', 'ko', 'SIP_INCORRECT_ALGORITHM.zip')
const PDF_BYTES = fs.readFileSync(PDF)
const DISSEMINATION = Buffer.from('version de diffusion\n')

function tmpdir(t) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'vas-node-archive-'))
  t.after(() => fs.rmSync(d, { recursive: true, force: true }))
  return d
}

function buildSip(file) {
  const b = new vas.SipBuilder('2.3')
  b.setHeader({ archivalAgency: 'AG-ARCHIVES', transferringAgency: 'SRV-MARCHES', originatingAgency: 'SRV-MARCHES', archivalAgreement: 'IC-DEMO' })
  const d = b.addUnit(null, 'Rénovation de la médiathèque', { id: 'DOSSIER', descriptionLevel: 'File', rules: [{ category: 'AccessRule', rule: 'ACC-00001', startDate: '2025-03-03' }] })
  const a = b.addUnit(d, 'Annexe financière', { id: 'ANNEXE', descriptionLevel: 'Item' })
  b.addObject(a, PDF)
  b.addObject(a, DISSEMINATION, { filename: 'annexe.txt', usage: 'Dissemination_1' })
  b.writeSync(file)
  return file
}

function filesUnder(dir) {
  const out = []
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) out.push(...filesUnder(p))
    else out.push(p)
  }
  return out
}

/** The offer files holding the PDF (a storage header, then the bytes). */
function pdfCopies(archiveDir) {
  return filesUnder(path.join(archiveDir, 'offers')).filter((f) => {
    const b = fs.readFileSync(f)
    return b.length > PDF_BYTES.length && b.subarray(b.length - PDF_BYTES.length).equals(PDF_BYTES)
  })
}

/** Flips a byte inside the PDF's bytes of an offer file. */
function damage(file) {
  const b = fs.readFileSync(file)
  b[b.length - 50] ^= 0xff
  fs.writeFileSync(file, b)
}

async function collect(stream) {
  const chunks = []
  for await (const c of stream) chunks.push(c)
  return Buffer.concat(chunks)
}

test('ingest, search, get, read, stream, export, DIP, verify, logbook', async (t) => {
  const dir = tmpdir(t)
  const sip = buildSip(path.join(dir, 'sip.zip'))
  const archive = await vas.Archive.create(path.join(dir, 'archive'), { referentials: REFS })
  t.after(() => archive.close())
  assert.equal(archive.dir, path.join(dir, 'archive'))
  assert.equal(archive.config.tenant, 0)
  assert.deepEqual(archive.contracts.map((c) => c.Identifier), ['AC-DEMO'])

  const r = await archive.ingest(sip)
  assert.equal(r.accepted, true, JSON.stringify(r.report.events.filter((e) => e.outcome !== 'OK')))
  assert.equal(r.report.outcome, 'OK')
  assert.match(r.atr, /ArchiveTransferReply/)
  assert.ok(r.systemIds.DOSSIER && r.systemIds.ANNEXE)
  assert.deepEqual(archive.counts(), { units: 2, objectGroups: 1 })

  const hits = await archive.search('AC-DEMO', { $query: { $match: { Title: 'annexe' } } })
  assert.equal(hits.$hits.total, 1)
  const id = hits.$results[0]['#id']
  assert.equal(id, r.systemIds.ANNEXE)
  const same = archive.searchSync('AC-DEMO', JSON.stringify({ $query: { $match: { Title: 'annexe' } } }))
  assert.equal(same.$results[0]['#id'], id)
  const all = archive.searchSync('AC-DEMO', { $query: {} })
  assert.equal(all.$hits.total, 2)

  const unit = await archive.getUnit('AC-DEMO', id)
  assert.equal(unit.Title, 'Annexe financière')
  assert.deepEqual(archive.getUnitSync('AC-DEMO', id), unit)

  const info = archive.objectInfo('AC-DEMO', id)
  assert.equal(info.usage, 'BinaryMaster')
  assert.equal(info.size, PDF_BYTES.length)
  assert.equal(info.formatId, 'fmt/18')
  const read = await archive.readObject('AC-DEMO', id)
  assert.ok(read.data.equals(PDF_BYTES))
  assert.equal(read.object.digest, crypto.createHash(info.algorithm.replace('-', '').toLowerCase()).update(PDF_BYTES).digest('hex'))
  assert.ok(archive.readObjectSync('AC-DEMO', id, 'Dissemination').data.equals(DISSEMINATION))

  const stream = archive.openObject('AC-DEMO', id, 'BinaryMaster', { chunkSize: 1000 })
  assert.equal(stream.object.id, info.id)
  assert.ok((await collect(stream)).equals(PDF_BYTES))
  const reader = archive.openObjectReader('AC-DEMO', id)
  const first = reader.readSync(10)
  assert.ok(first.equals(PDF_BYTES.subarray(0, 10)))
  reader.close()
  assert.equal(await reader.read(), null)

  const dest = path.join(dir, 'export.pdf')
  const exported = await archive.exportObject('AC-DEMO', id, 'BinaryMaster', dest)
  assert.equal(exported.id, info.id)
  assert.ok(fs.readFileSync(dest).equals(PDF_BYTES))
  archive.exportObjectSync('AC-DEMO', id, 'Dissemination', path.join(dir, 'export.txt'))
  assert.ok(fs.readFileSync(path.join(dir, 'export.txt')).equals(DISSEMINATION))

  const dipPath = path.join(dir, 'dip.zip')
  const dip = await archive.dip('AC-DEMO', { $query: {} }, dipPath)
  assert.deepEqual([dip.units, dip.objects, dip.bytes], [2, 2, PDF_BYTES.length + DISSEMINATION.length])
  const py = spawnSync('python3', ['-c', 'import sys,zipfile,json; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(json.dumps({n: z.getinfo(n).file_size for n in z.namelist()}))', dipPath], { encoding: 'utf8' })
  assert.equal(py.status, 0, py.stderr)
  const sizes = Object.values(JSON.parse(py.stdout))
  assert.ok(sizes.includes(PDF_BYTES.length) && sizes.includes(DISSEMINATION.length), py.stdout)
  const dip2 = archive.dipSync('AC-DEMO', { $query: { $match: { Title: 'annexe' } } }, path.join(dir, 'dip2.zip'))
  assert.equal(dip2.units, 1)

  const v = await archive.verify()
  assert.equal(v.ok, true, v.problems.join('\n'))
  assert.deepEqual([v.units, v.objectGroups], [2, 1])
  assert.ok(v.objectCopies >= 4)
  const audit = archive.auditSync()
  assert.deepEqual(audit.findings, [])
  assert.equal(audit.allRepaired, true)

  const ops = await archive.operations()
  assert.ok(ops.length >= 1)
  const ingestOp = ops.find((o) => o.evId === r.operationId)
  assert.ok(ingestOp, 'the ingest is in the logbook')
  assert.equal(ingestOp.outcome, 'OK')
  assert.deepEqual(await archive.operation(r.operationId), ingestOp)
  assert.deepEqual(archive.operationSync(r.operationId), ingestOp)
  assert.deepEqual(archive.operationsSync(), ops)
  const lfc = await archive.lifecycle('unit', id)
  assert.deepEqual(archive.lifecycleSync('unit', id), lfc)
  assert.ok(lfc.length > 0 && lfc.every((e) => e.evType.startsWith('LFC.')))
  assert.ok(archive.lifecycleSync('objectGroup', unit['#object']).length > 0)
  const register = await archive.accessionRegister('AC-DEMO')
  assert.equal(register.length, 1)
  assert.deepEqual(archive.accessionRegisterSync('AC-DEMO'), register)
  const rebuilt = await archive.rebuild()
  assert.deepEqual([rebuilt.units, rebuilt.objectGroups], [2, 1])
})

test('damage on an offer: verify and audit find it, audit repairs it', async (t) => {
  const dir = tmpdir(t)
  const sip = buildSip(path.join(dir, 'sip.zip'))
  const archive = vas.Archive.createSync(path.join(dir, 'archive'))
  t.after(() => archive.close())
  assert.deepEqual(archive.contracts.map((c) => c.Identifier), ['FULL_ACCESS'])
  assert.equal(archive.ingestSync(sip).accepted, true)
  const copies = pdfCopies(path.join(dir, 'archive'))
  assert.equal(copies.length, 2, 'one copy per offer')
  const good = fs.readFileSync(copies[0])
  damage(copies[0])
  const v = archive.verifySync()
  assert.equal(v.ok, false)
  assert.ok(v.problems.length >= 1)
  const found = await archive.audit()
  assert.ok(found.findings.length >= 1)
  assert.equal(found.allRepaired, false)
  const repaired = await archive.audit(true)
  assert.ok(repaired.repaired >= 1)
  assert.equal(repaired.allRepaired, true)
  assert.ok(fs.readFileSync(copies[0]).equals(good))
  assert.equal((await archive.verify()).ok, true)
  assert.deepEqual(archive.rebuildSync(), { units: 2, objectGroups: 1 })
})

test('archive errors: kinds and codes', async (t) => {
  const dir = tmpdir(t)
  const sip = buildSip(path.join(dir, 'sip.zip'))
  const where = path.join(dir, 'archive')
  const archive = await vas.Archive.create(where, { referentials: REFS })
  assert.equal(archive.ingestSync(sip).accepted, true)
  const id = archive.searchSync('AC-DEMO', { $query: { $match: { Title: 'annexe' } } }).$results[0]['#id']

  // a refused SIP is a verdict
  const ko = await archive.ingest(KO)
  assert.equal(ko.accepted, false)
  assert.equal(ko.report.outcome, 'KO')
  assert.deepEqual(ko.systemIds, {})
  assert.deepEqual(archive.counts(), { units: 2, objectGroups: 1 })

  await assert.rejects(archive.search('NO-SUCH-CONTRACT', { $query: {} }), { code: 'VAS_NOT_FOUND', id: 'NO-SUCH-CONTRACT' })
  await assert.rejects(archive.getUnit('AC-DEMO', 'aeaqaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'), { code: 'VAS_NOT_FOUND' })
  assert.throws(() => archive.getUnitSync('NO-SUCH-CONTRACT', id), { code: 'VAS_NOT_FOUND' })
  await assert.rejects(archive.readObject('AC-DEMO', id, 'Thumbnail'), { code: 'VAS_NOT_FOUND' })
  assert.throws(() => archive.openObject('AC-DEMO', 'missing-unit'), { code: 'VAS_NOT_FOUND' })
  assert.throws(() => archive.searchSync('AC-DEMO', '{not json'), { code: 'VAS_INVALID_INPUT' })
  assert.throws(() => archive.searchSync('AC-DEMO', 42), { code: 'VAS_INVALID_INPUT' })
  assert.throws(() => archive.lifecycle('file', id), { code: 'VAS_INVALID_INPUT' })
  assert.throws(() => archive.lifecycleSync('file', id), { code: 'VAS_INVALID_INPUT' })
  await assert.rejects(archive.operation('no-such-operation'), { code: 'VAS_NOT_FOUND' })
  assert.throws(() => archive.operationSync('no-such-operation'), { code: 'VAS_NOT_FOUND' })
  await assert.rejects(archive.ingest(path.join(dir, 'missing.zip')), { code: 'VAS_NOT_FOUND' })
  // exporting into a missing folder fails and leaves nothing behind
  const nowhere = path.join(dir, 'no-such-folder', 'x.pdf')
  await assert.rejects(archive.exportObject('AC-DEMO', id, 'BinaryMaster', nowhere), (e) => e.code.startsWith('VAS_'))
  assert.ok(!fs.existsSync(nowhere))

  // the folder is locked while open
  assert.throws(() => vas.Archive.openSync(where), { code: 'VAS_CONFLICT' })
  await assert.rejects(vas.Archive.create(where), { code: 'VAS_ALREADY_EXISTS' })
  archive.close()
  assert.equal(archive.closed, true)
  assert.throws(() => archive.counts(), { code: 'VAS_INVALID_INPUT', message: /closed/ })
  assert.throws(() => archive.verify(), { code: 'VAS_INVALID_INPUT' })
  // closed: it opens again, with the same content
  const again = await vas.Archive.open(where)
  assert.deepEqual(again.counts(), { units: 2, objectGroups: 1 })
  again.close()
  await assert.rejects(vas.Archive.open(path.join(dir, 'nowhere')), { code: 'VAS_NOT_FOUND' })
  assert.throws(() => vas.Archive.createSync(path.join(dir, 'x'), { referentials: path.join(dir, 'no-refs') }), (e) => e.code.startsWith('VAS_'))
  assert.throws(() => vas.Archive.openSync(42))
})

test('a stream whose object was damaged fails with VAS_INTEGRITY', async (t) => {
  const dir = tmpdir(t)
  const archive = vas.Archive.createSync(path.join(dir, 'archive'))
  t.after(() => archive.close())
  assert.equal(archive.ingestSync(buildSip(path.join(dir, 'sip.zip'))).accepted, true)
  const copies = pdfCopies(path.join(dir, 'archive'))
  assert.equal(copies.length, 2)
  copies.forEach(damage)
  const id = archive.searchSync('FULL_ACCESS', { $query: { $match: { Title: 'annexe' } } }).$results[0]['#id']
  await assert.rejects(collect(archive.openObject('FULL_ACCESS', id)), { code: 'VAS_INTEGRITY' })
  await assert.rejects(archive.readObject('FULL_ACCESS', id), { code: 'VAS_INTEGRITY' })
})

test('access contracts: a forbidden usage is VAS_DENIED, another agency is VAS_NOT_FOUND', async (t) => {
  const dir = tmpdir(t)
  const refs = path.join(dir, 'refs')
  fs.mkdirSync(refs)
  fs.writeFileSync(path.join(refs, 'access-contracts.json'), JSON.stringify([
    { Identifier: 'AC-DIFFUSION', Name: 'Diffusion', Status: 'ACTIVE', EveryOriginatingAgency: true, EveryDataObjectVersion: false, DataObjectVersion: ['Dissemination'] },
    { Identifier: 'AC-OTHER', Name: 'Autre service', Status: 'ACTIVE', EveryOriginatingAgency: false, OriginatingAgencies: ['SRV-AUTRE'], EveryDataObjectVersion: true },
  ]))
  const archive = await vas.Archive.create(path.join(dir, 'archive'), { referentials: refs })
  t.after(() => archive.close())
  const r = await archive.ingest(buildSip(path.join(dir, 'sip.zip')))
  assert.equal(r.accepted, true)
  const id = r.systemIds.ANNEXE
  assert.ok(archive.readObjectSync('AC-DIFFUSION', id, 'Dissemination').data.equals(DISSEMINATION))
  await assert.rejects(archive.readObject('AC-DIFFUSION', id, 'BinaryMaster'), { code: 'VAS_DENIED' })
  assert.throws(() => archive.openObject('AC-DIFFUSION', id), { code: 'VAS_DENIED' })
  assert.throws(() => archive.objectInfo('AC-DIFFUSION', id), { code: 'VAS_DENIED' })
  await assert.rejects(archive.getUnit('AC-OTHER', id), { code: 'VAS_NOT_FOUND' })
  assert.equal(archive.searchSync('AC-OTHER', { $query: {} }).$hits.total, 0)
})

test('eliminate: analysis, refusal without writing permission, action, rebuild', async (t) => {
  const dir = tmpdir(t)
  // examples/referentials plus a contract with writing permission.
  const refs = path.join(dir, 'refs')
  fs.cpSync(REFS, refs, { recursive: true })
  const contractsFile = path.join(refs, 'access-contracts.json')
  const contracts = JSON.parse(fs.readFileSync(contractsFile, 'utf8'))
  contracts.push({ ...contracts[0], Identifier: 'AC-ELIM', WritingPermission: true })
  fs.writeFileSync(contractsFile, JSON.stringify(contracts))
  // A dossier kept 10 years from 2025-03-03 then destroyed; its child inherits the rule.
  const b = new vas.SipBuilder('2.3')
  b.setHeader({ archivalAgency: 'AG-ARCHIVES', transferringAgency: 'SRV-MARCHES', originatingAgency: 'SRV-MARCHES', archivalAgreement: 'IC-DEMO' })
  const d = b.addUnit(null, 'Marché clos', {
    descriptionLevel: 'File',
    rules: [{ category: 'AppraisalRule', rule: 'APP-MARCHE-10', startDate: '2025-03-03' }],
    finalActions: [{ category: 'AppraisalRule', action: 'Destroy' }],
  })
  const a = b.addUnit(d, 'Annexe', { descriptionLevel: 'Item' })
  b.addObject(a, PDF)
  const sip = path.join(dir, 'sip.zip')
  b.writeSync(sip)

  const archive = await vas.Archive.create(path.join(dir, 'archive'), { referentials: refs })
  t.after(() => archive.close())
  assert.equal((await archive.ingest(sip)).accepted, true)
  const all = { $query: {} }

  const early = await archive.eliminate('AC-DEMO', all, { date: '2030-01-01', dryRun: true })
  assert.equal(early.dry_run, true)
  assert.equal(early.operation_id, null)
  assert.deepEqual(early.units.map((u) => u.GlobalStatus), ['KEEP', 'KEEP'])
  assert.ok(early.units.every((u) => u.Reasons.includes('APPRAISAL_RULE_NOT_EXPIRED')))
  const late = archive.eliminateSync('AC-DEMO', JSON.stringify(all), { date: '2036-01-01', dryRun: true })
  assert.deepEqual(late.units.map((u) => u.GlobalStatus), ['DESTROY', 'DESTROY'])
  assert.equal(late.eliminated_units.length, 2)
  assert.equal(archive.searchSync('AC-DEMO', all).$hits.total, 2) // a dry run writes nothing

  await assert.rejects(archive.eliminate('AC-DEMO', all, { date: '2036-01-01' }), (e) => e.code === 'VAS_DENIED' && /writing permission/.test(e.message))
  assert.throws(() => archive.eliminateSync('AC-ELIM', all, { date: 'not a date' }), (e) => e.code === 'VAS_INVALID_INPUT')

  const done = await archive.eliminate('AC-ELIM', all, { date: '2036-01-01' })
  assert.equal(done.dry_run, false)
  assert.ok(done.operation_id)
  assert.deepEqual([...done.eliminated_units].sort(), [...late.eliminated_units].sort())
  assert.equal(done.deleted_objects, 1)
  assert.equal(done.deleted_bytes, PDF_BYTES.length)
  assert.equal(archive.searchSync('AC-DEMO', all).$hits.total, 0)
  assert.equal(pdfCopies(path.join(dir, 'archive')).length, 0) // gone from both offers
  assert.equal((await archive.operation(done.operation_id)).evType, 'ELIMINATION_ACTION')
  assert.equal((await archive.verify()).ok, true)
  const rebuilt = await archive.rebuild()
  assert.equal(rebuilt.units, 0)
})

test('eliminationReport: a partial elimination read back from the offers, and its errors', async (t) => {
  const dir = tmpdir(t)
  const refs = path.join(dir, 'refs')
  fs.cpSync(REFS, refs, { recursive: true })
  const contractsFile = path.join(refs, 'access-contracts.json')
  const contracts = JSON.parse(fs.readFileSync(contractsFile, 'utf8'))
  contracts.push({ ...contracts[0], Identifier: 'AC-ELIM', WritingPermission: true })
  fs.writeFileSync(contractsFile, JSON.stringify(contracts))
  // A dossier kept 10 years from 2025-03-03 then destroyed, with two children inheriting
  // the rule. Eliminating the dossier and the annex only: the annex is deleted, the
  // dossier kept for its other child (NON_DESTROYABLE_HAS_CHILD_UNITS).
  const b = new vas.SipBuilder('2.3')
  b.setHeader({ archivalAgency: 'AG-ARCHIVES', transferringAgency: 'SRV-MARCHES', originatingAgency: 'SRV-MARCHES', archivalAgreement: 'IC-DEMO' })
  const d = b.addUnit(null, 'Marché clos', {
    id: 'DOSSIER',
    descriptionLevel: 'File',
    rules: [{ category: 'AppraisalRule', rule: 'APP-MARCHE-10', startDate: '2025-03-03' }],
    finalActions: [{ category: 'AppraisalRule', action: 'Destroy' }],
  })
  const annex = b.addUnit(d, 'Annexe', { id: 'ANNEXE', descriptionLevel: 'Item' })
  b.addObject(annex, PDF)
  const note = b.addUnit(d, 'Note', { id: 'NOTE', descriptionLevel: 'Item' })
  b.addObject(note, DISSEMINATION, { filename: 'note.txt' })
  const sip = path.join(dir, 'sip.zip')
  b.writeSync(sip)

  const archive = await vas.Archive.create(path.join(dir, 'archive'), { referentials: refs })
  t.after(() => archive.close())
  const ingested = await archive.ingest(sip)
  assert.equal(ingested.accepted, true)
  const ids = ingested.systemIds
  const q = { $query: { $in: { '#id': [ids.DOSSIER, ids.ANNEXE] } } }
  const done = await archive.eliminate('AC-ELIM', q, { date: '2036-01-01' })
  assert.deepEqual(done.eliminated_units, [ids.ANNEXE])
  assert.deepEqual(
    Object.fromEntries(done.units.map((u) => [u.UnitId, u.Status])),
    { [ids.DOSSIER]: 'NON_DESTROYABLE_HAS_CHILD_UNITS', [ids.ANNEXE]: 'DELETED' },
  )

  const report = await archive.eliminationReport(done.operation_id)
  assert.equal(report.operationSummary.evId, done.operation_id)
  assert.equal(report.operationSummary.evType, 'ELIMINATION_ACTION')
  assert.equal(report.context.EliminationDate, '2036-01-01')
  const units = Object.fromEntries(report.units.map((u) => [u.id, u.params]))
  assert.deepEqual(Object.keys(units).sort(), [ids.DOSSIER, ids.ANNEXE].sort())
  assert.equal(units[ids.ANNEXE].status, 'DELETED')
  assert.equal(units[ids.ANNEXE].globalStatus, 'DESTROY')
  assert.deepEqual(units[ids.ANNEXE].reasons, [])
  assert.equal(units[ids.ANNEXE].opi, ingested.operationId)
  assert.equal(units[ids.DOSSIER].status, 'NON_DESTROYABLE_HAS_CHILD_UNITS')
  assert.ok(units[ids.DOSSIER].reasons.includes('NON_DESTROYABLE_HAS_CHILD_UNITS'))
  assert.deepEqual(report.objectGroups.map((g) => [g.id, g.params.status]), [[units[ids.ANNEXE].objectGroupId, 'DELETED']])
  assert.deepEqual(done.eliminated_object_groups, [units[ids.ANNEXE].objectGroupId])
  assert.equal(report.reportSummary.extendedInfo.deletedBytes, PDF_BYTES.length)
  // The sync form reads the same report; the note is still there.
  assert.deepEqual(archive.eliminationReportSync(done.operation_id), report)
  assert.equal((await archive.getUnit('AC-DEMO', ids.NOTE))['#id'], ids.NOTE)

  // An unknown operation, and one without a report (the ingest): VAS_NOT_FOUND.
  await assert.rejects(archive.eliminationReport('aeeaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'), (e) => e.code === 'VAS_NOT_FOUND')
  assert.throws(() => archive.eliminationReportSync(ingested.operationId), (e) => e.code === 'VAS_NOT_FOUND' && /has no report/.test(e.message))
})
