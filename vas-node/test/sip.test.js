// SIP building and inspection. Oracles: Python's zipfile and tarfile (an independent reader
// of the package), node:crypto (digests), xmllint with the official SEDA 2.3 schema.
'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Readable } = require('node:stream')
const { spawnSync } = require('node:child_process')
const vas = require('..')

const ROOT = path.join(__dirname, '..', '..')
const XSD = path.join(ROOT, 'vas-core', 'schemas', '2.3', 'seda-2.3-main.xsd')
const CATALOG = path.join(ROOT, 'vas-core', 'schemas', 'catalog.xml')
const INTEROP = path.join(ROOT, 'tests', 'interop')
const PDF = path.join(INTEROP, 'content', 'annexe.pdf')
const TXT = path.join(INTEROP, 'content', 'proces-verbal.txt')
const DEMO = path.join(ROOT, 'examples', 'demo')

const sha = (alg, b) => crypto.createHash(alg).update(b).digest('hex')

function tmpdir(t) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'vas-node-sip-'))
  t.after(() => fs.rmSync(d, { recursive: true, force: true }))
  return d
}

/** Every entry of a zip or tar package, read by Python (name -> bytes, base64). */
function pythonEntries(pkg) {
  const code = `
import base64, json, sys, tarfile, zipfile
p = sys.argv[1]
if zipfile.is_zipfile(p):
    z = zipfile.ZipFile(p)
    assert z.testzip() is None
    out = {n: base64.b64encode(z.read(n)).decode() for n in z.namelist() if not n.endswith('/')}
else:
    t = tarfile.open(p)
    out = {m.name: base64.b64encode(t.extractfile(m).read()).decode() for m in t.getmembers() if m.isfile()}
print(json.dumps(out))
`
  const r = spawnSync('python3', ['-c', code, pkg], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  const out = {}
  for (const [k, v] of Object.entries(JSON.parse(r.stdout))) out[k] = Buffer.from(v, 'base64')
  return out
}

function xmllintValid(xml, dir) {
  const f = path.join(dir, 'manifest-check.xml')
  fs.writeFileSync(f, xml)
  const r = spawnSync('xmllint', ['--nonet', '--noout', '--schema', XSD, f], { encoding: 'utf8', env: { ...process.env, XML_CATALOG_FILES: CATALOG } })
  return { ok: r.status === 0, stderr: r.stderr }
}

function header(b) {
  b.setHeader({
    archivalAgency: 'AG-ARCHIVES',
    transferringAgency: 'SRV-MARCHES',
    originatingAgency: 'SRV-MARCHES',
    archivalAgreement: 'IC-DEMO',
    messageIdentifier: 'NODE-TEST-1',
    comment: 'Versement de test',
  })
}

test('a SIP from paths, Buffers and streams: Python reads it, xmllint validates it', async (t) => {
  const dir = tmpdir(t)
  const b = new vas.SipBuilder('2.3')
  assert.equal(b.sedaVersion, '2.3')
  header(b)
  const folder = b.addUnit(null, 'Marché 2025-017', {
    descriptionLevel: 'File', description: 'Dossier', startDate: '2025-01-10', endDate: '2025-03-03',
    rules: [{ category: 'AppraisalRule', rule: 'APP-MARCHE-10', startDate: '2025-03-03' }],
    finalActions: [{ category: 'AppraisalRule', action: 'Keep' }],
    fields: [{ path: 'Keyword.0.KeywordContent', value: 'marché public' }],
  })
  assert.equal(folder, 'AU1')
  const pv = b.addUnit(folder, 'Procès-verbal', { id: 'PV_1', descriptionLevel: 'Item' })
  assert.equal(pv, 'PV_1')
  b.addRule(pv, 'AccessRule', 'ACC-00003', '2025-03-03')
  b.setFinalAction(folder, 'AppraisalRule', 'Destroy')
  b.addField(pv, 'Writer.0.FullName', 'Jeanne Martin')
  b.updateUnit(pv, { description: 'Séance du 3 mars' })
  b.addObject(pv, TXT)
  const streamed = crypto.randomBytes(300000)
  await b.addObjectStream(pv, Readable.from([streamed.subarray(0, 100000), streamed.subarray(100000)]),
    { filename: 'scan.bin', usage: 'Dissemination_1' })
  const annexe = b.addUnit(folder, 'Annexe')
  b.addObject(annexe, PDF, { filename: 'annexe-financiere.pdf' })
  b.addObject(annexe, Buffer.from('texte intégral\n'), { filename: 'annexe.txt', usage: 'TextContent_1', lastModified: '2025-03-03T10:00:00' })
  b.link(pv, annexe) // a DAG: annexe also under the procès-verbal
  b.addPhysicalObject(folder, 'PhysicalMaster_1', 'Boîte 12')
  assert.equal(b.unitCount, 3)
  assert.equal(b.objectCount, 4)

  const out = path.join(dir, 'sip.zip')
  const report = await b.write(out, { digestAlgorithm: 'SHA-256' })
  assert.equal(report.algorithm, 'SHA-256')
  assert.equal(report.units, 3)
  assert.equal(report.manifestName, 'manifest.xml')
  const entries = pythonEntries(out)
  assert.equal(report.manifestDigest, sha('sha256', entries['manifest.xml']))
  const want = [fs.readFileSync(TXT), streamed, fs.readFileSync(PDF), Buffer.from('texte intégral\n')]
  assert.equal(report.objects.length, 4)
  assert.deepEqual(report.objects.map((o) => o.digest).sort(), want.map((w) => sha('sha256', w)).sort())
  for (const o of report.objects) {
    assert.ok(entries[o.uri], o.uri)
    assert.equal(sha('sha256', entries[o.uri]), o.digest)
    assert.equal(o.size, entries[o.uri].length)
  }
  assert.equal(report.totalSize, want.reduce((n, w) => n + w.length, 0))
  const manifest = entries['manifest.xml'].toString('utf8')
  for (const s of ['ACC-00003', 'Jeanne Martin', 'Séance du 3 mars', 'annexe-financiere.pdf', 'Boîte 12', 'IC-DEMO', 'fmt/18', 'Destroy', 'marché public']) {
    assert.ok(manifest.includes(s), s)
  }
  const lint = xmllintValid(manifest, dir)
  assert.ok(lint.ok, lint.stderr)

  const info = await vas.inspectSip(out, { tree: true, entries: true })
  assert.equal(info.verdict, 'OK')
  assert.equal(info.container, 'zip')
  assert.equal(info.manifest, 'manifest.xml')
  assert.equal(info.manifestSha512, sha('sha512', entries['manifest.xml']))
  assert.deepEqual(info.counts, { units: 3, objectGroups: 3, binaryObjects: 4, physicalObjects: 1 })
  assert.equal(info.header.archivalAgreement, 'IC-DEMO')
  assert.equal(info.header.messageIdentifier, 'NODE-TEST-1')
  assert.equal(info.header.sedaVersion, '2.3')
  assert.equal(info.digestsOk, 4)
  assert.equal(info.declaredFiles, 4)
  assert.equal(info.presentFiles, 4)
  assert.deepEqual(info.violations, [])
  assert.deepEqual(info.tree.map((n) => [n.depth, n.id]), [[0, 'AU1'], [1, 'PV_1'], [2, 'AU3'], [1, 'AU3']])
  assert.equal(info.entryList.filter((e) => e.kind === 'file').length, 5)
  const quick = vas.inspectSipSync(out, { digests: false })
  assert.equal(quick.digestsChecked, false)
  assert.equal(quick.digestsOk, 0)
  assert.equal(quick.verdict, 'OK')
})

test('tar and tar.gz, stored zip, manifest last, deterministic output', async (t) => {
  const dir = tmpdir(t)
  const make = () => {
    const b = new vas.SipBuilder('2.2')
    header(b)
    const u = b.addUnit(null, 'Pièce')
    b.addObject(u, PDF)
    b.addObject(u, Buffer.from('diffusion'), { filename: 'd.txt', usage: 'Dissemination_1' })
    return b
  }
  for (const [file, container] of [['a.tar', 'tar'], ['a.tar.gz', 'tar.gz'], ['a.tgz', 'tar.gz']]) {
    const out = path.join(dir, file)
    make().writeSync(out)
    const info = vas.inspectSipSync(out)
    assert.equal(info.verdict, 'OK', file)
    assert.equal(info.container, container, file)
    assert.equal(info.header.sedaVersion, '2.2')
    const entries = pythonEntries(out)
    assert.ok(entries['manifest.xml'], file)
    assert.equal(Object.keys(entries).length, 3, file)
  }
  const opts = { deterministic: true, compression: 'stored' }
  const one = make().toBufferSync(opts)
  const two = await make().toBuffer(opts)
  assert.ok(one.data.equals(two.data), 'deterministic: same bytes')
  assert.ok(one.data.includes(fs.readFileSync(PDF)), 'stored: the PDF is in the clear')
  const last = make().toBufferSync({ ...opts, manifestLast: true })
  assert.equal(last.report.manifestDigest, one.report.manifestDigest, 'same manifest, written last')
  assert.ok(!last.data.equals(one.data))
  const deflated = make().toBufferSync({ deterministic: true, compressionLevel: 9 })
  assert.ok(deflated.data.length < one.data.length)
  const noIdent = make().toBufferSync({ deterministic: true, identifyFormats: false })
  fs.writeFileSync(path.join(dir, 'n.zip'), noIdent.data)
  assert.ok(!pythonEntries(path.join(dir, 'n.zip'))['manifest.xml'].toString().includes('fmt/18'))
  const other = path.join(dir, 'explicit.bin')
  make().writeSync(other, { format: 'tar' })
  assert.equal(vas.inspectSipSync(other).container, 'tar')
})

test('folder import (ReSIP conventions) and CSV', async (t) => {
  const dir = tmpdir(t)
  const b = new vas.SipBuilder()
  header(b)
  const root = b.addUnit(null, 'Versement')
  const imp = await b.importFolder(DEMO, { parent: root })
  assert.ok(imp.objects >= 3)
  const rel = Object.keys(imp.units)
  assert.ok(rel.includes('Marché 2024-017 - Rénovation de la mairie'))
  assert.ok(rel.includes('Marché 2024-017 - Rénovation de la mairie/Pièces administratives/avis-attribution.pdf'))
  assert.equal(b.unitCount, rel.length + 1)
  const out = path.join(dir, 'demo.zip')
  const r = b.writeSync(out)
  assert.equal(r.objects.length, imp.objects)
  assert.equal(vas.inspectSipSync(out).verdict, 'OK')

  // CSV applied to the imported units (File column), and a CSV defining the tree
  const src = path.join(dir, 'src')
  fs.mkdirSync(path.join(src, 'Dossier'), { recursive: true })
  fs.writeFileSync(path.join(src, 'Dossier', 'a.txt'), 'A')
  fs.writeFileSync(path.join(src, 'meta.csv'), 'File;Content.Description;Management.AccessRule.Rule\na.txt;Pièce A;ACC-00002\n')
  const c = new vas.SipBuilder()
  header(c)
  const ci = c.importFolderSync(path.join(src, 'Dossier'), { csv: path.join(src, 'meta.csv') })
  assert.equal(ci.csvRows, 1)
  assert.ok(ci.units['a.txt'])
  const cout = path.join(dir, 'csv.zip')
  c.writeSync(cout)
  const cm = pythonEntries(cout)['manifest.xml'].toString('utf8')
  assert.ok(cm.includes('Pièce A') && cm.includes('ACC-00002'), cm)
  const csv = Buffer.from('ID;ParentID;File;Content.Title;Writer.0.FullName\n1;;;Fonds;\n2;1;Dossier/a.txt;Pièce A;Jean Dupont\n')
  const d = new vas.SipBuilder()
  header(d)
  const ids = d.importCsv(csv, src)
  assert.deepEqual(Object.keys(ids).sort(), ['1', '2'])
  assert.equal(d.objectCount, 1)
  const exported = path.join(dir, 'export.csv')
  d.exportCsv(exported, src)
  const text = fs.readFileSync(exported, 'utf8')
  assert.match(text, /^ID;ParentID;File/)
  assert.ok(text.includes('Jean Dupont'))
  assert.throws(() => d.importCsv(Buffer.from('ID;ParentID\n1;9\n'), src), { code: 'VAS_NOT_FOUND' })
  assert.throws(() => d.importCsv(path.join(dir, 'missing.csv'), src), { code: 'VAS_NOT_FOUND' })
  assert.throws(() => d.importCsv(csv, src, { encoding: 'ebcdic' }), { code: 'VAS_INVALID_INPUT' })
  assert.throws(() => d.importCsv(csv, src, { separator: ';;' }), { code: 'VAS_INVALID_INPUT' })
})

test('builder errors carry the kind, the id and the Vitam code', async (t) => {
  const dir = tmpdir(t)
  assert.throws(() => new vas.SipBuilder('3.0'), { code: 'VAS_UNSUPPORTED' })
  const b = new vas.SipBuilder('2.1')
  header(b)
  const u = b.addUnit(null, 'Unité')
  assert.throws(() => b.addUnit('AU99', 'Orpheline'), (e) => e.code === 'VAS_NOT_FOUND' && e.id === 'AU99' && /AU99/.test(e.message))
  assert.throws(() => b.addUnit(null, '   '), { code: 'VAS_INVALID_INPUT' })
  assert.throws(() => b.addUnit(null, 'x', { id: 'AU1' }), { code: 'VAS_ALREADY_EXISTS', id: 'AU1' })
  assert.throws(() => b.addUnit(null, 'x', { id: '1 bad' }), { code: 'VAS_INVALID_INPUT' })
  assert.throws(() => b.updateUnit(u, { id: 'other' }), { code: 'VAS_INVALID_INPUT' })
  assert.throws(() => b.addRule('nope', 'AccessRule', 'ACC-00001'), { code: 'VAS_NOT_FOUND' })
  assert.throws(() => b.addObject(u, Buffer.from('x'), { usage: 'Original_1', filename: 'x' }),
    { code: 'VAS_INVALID_INPUT', outcomeCode: 'CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_DATAOBJECT_VERSION.INVALID_DATAOBJECTVERSION.KO' })
  b.addObject(u, Buffer.from('x'), { filename: 'x.txt' })
  assert.throws(() => b.addObject(u, Buffer.from('y'), { filename: 'y.txt' }),
    { code: 'VAS_INVALID_INPUT', outcomeCode: 'CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST.TOO_MANY_VERSION_BY_USAGE.KO' })
  assert.throws(() => b.addObject(u, Buffer.from('x')), { code: 'VAS_INVALID_INPUT', message: /filename/ })
  assert.throws(() => b.addObject(u, path.join(dir, 'missing.pdf'), { usage: 'Dissemination_1' }),
    (e) => e.code === 'VAS_NOT_FOUND' && e.path === path.join(dir, 'missing.pdf') && e.errno === 2)
  assert.throws(() => b.addObject(u, dir, { usage: 'Thumbnail_1' }), { code: 'VAS_INVALID_INPUT' })
  assert.throws(() => b.addPhysicalObject(u, 'BinaryMaster_2', 'B1'),
    { code: 'VAS_INVALID_INPUT', outcomeCode: 'CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_DATAOBJECT_VERSION.PDO_DATAOBJECTIONVERSION_BINARYMASTER.KO' })
  const child = b.addUnit(u, 'Enfant')
  assert.throws(() => b.link(child, u), { code: 'VAS_INVALID_INPUT', outcomeCode: 'CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST.CHECK_MANIFEST_LOOP.KO' })
  await assert.rejects(b.addObjectStream(u, Readable.from([Buffer.from('z')]), {}), { code: 'VAS_INVALID_INPUT' })
  await assert.rejects(b.addObjectStream(u, 42, { filename: 'z' }), { code: 'VAS_INVALID_INPUT' })
  await assert.rejects(b.addObjectStream('AU77', Readable.from([Buffer.from('z')]), { filename: 'z' }), { code: 'VAS_NOT_FOUND' })
  // wrong argument types are refused by the glue
  assert.throws(() => b.addUnit(null, 42))
  assert.throws(() => b.addObject(u, 42))
  assert.throws(() => b.setHeader({ archivalAgency: 42 }))
  // options refused before anything is written
  for (const [opts, code] of [[{ format: 'rar' }, 'VAS_INVALID_INPUT'], [{ digestAlgorithm: 'CRC32' }, 'VAS_INVALID_INPUT'],
    [{ compressionLevel: 12 }, 'VAS_INVALID_INPUT'], [{ compression: 'lzma' }, 'VAS_INVALID_INPUT']]) {
    assert.throws(() => b.writeSync(path.join(dir, 'never.zip'), opts), { code }, JSON.stringify(opts))
    assert.ok(!fs.existsSync(path.join(dir, 'never.zip')))
  }
  // an existing output is never overwritten
  const existing = path.join(dir, 'existing.zip')
  fs.writeFileSync(existing, 'precious')
  assert.throws(() => b.writeSync(existing), { code: 'VAS_ALREADY_EXISTS', path: existing })
  assert.equal(fs.readFileSync(existing, 'utf8'), 'precious')
  // the builder was consumed by that attempt
  assert.throws(() => b.addUnit(null, 'après'), { code: 'VAS_INVALID_INPUT', message: /already written/ })
  await assert.rejects(async () => b.write(path.join(dir, 'again.zip')), { code: 'VAS_INVALID_INPUT' })
  // a SIP without units cannot be written
  await assert.rejects(new vas.SipBuilder().write(path.join(dir, 'empty.zip')), (e) => e.code.startsWith('VAS_'))
  assert.ok(!fs.existsSync(path.join(dir, 'empty.zip')))
  // missing folder, and a busy builder while an import runs
  const c = new vas.SipBuilder()
  await assert.rejects(c.importFolder(path.join(dir, 'missing')), { code: 'VAS_NOT_FOUND' })
  const p = c.importFolder(DEMO)
  assert.throws(() => c.addUnit(null, 'pendant'), { code: 'VAS_CONFLICT' })
  await p
  assert.ok(c.unitCount > 3)
})

test('inspectSip: KO and refused packages, missing file', async (t) => {
  const dir = tmpdir(t)
  const b = new vas.SipBuilder()
  header(b)
  b.addObject(b.addUnit(null, 'U'), Buffer.from('contenu original, assez long pour être reconnu'), { filename: 'a.txt' })
  const data = b.toBufferSync({ compression: 'stored', deterministic: true }).data
  const i = data.indexOf('contenu original')
  const tampered = Buffer.from(data)
  tampered.write('CONTENU', i)
  fs.writeFileSync(path.join(dir, 'tampered.zip'), tampered)
  // a wrong CRC is found while the digests are checked: an error, as with `vas sip inspect`
  await assert.rejects(vas.inspectSip(path.join(dir, 'tampered.zip')), { code: 'VAS_CORRUPT', outcomeCode: 'UPLOAD_SIP.KO' })
  // without the digest pass the container itself looks fine
  assert.equal(vas.inspectSipSync(path.join(dir, 'tampered.zip'), { digests: false }).verdict, 'OK')
  fs.writeFileSync(path.join(dir, 'junk.zip'), crypto.randomBytes(1000))
  const junk = vas.inspectSipSync(path.join(dir, 'junk.zip'))
  assert.equal(junk.verdict, 'REFUSED')
  assert.match(junk.error.code, /^VAS_/)
  await assert.rejects(vas.inspectSip(path.join(dir, 'missing.zip')), { code: 'VAS_NOT_FOUND' })
  assert.throws(() => vas.inspectSipSync(path.join(dir, 'missing.zip')), { code: 'VAS_NOT_FOUND' })
})
