// Manifest validation, statistics, round-trip and format identification.
'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const vas = require('..')

const ROOT = path.join(__dirname, '..', '..')
const SAMPLES = path.join(ROOT, 'tests', 'fixtures', 'seda', 'samples')
const PROFIL = path.join(ROOT, 'tests', 'fixtures', 'profiles', 'vitam-checkProfil')
const DEMO = path.join(ROOT, 'examples', 'demo', 'Marché 2024-017 - Rénovation de la mairie')
const MALFORMED = Buffer.from('<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.2"><Date>')

test('agrees with xmllint on every sample (without the IDREF check)', () => {
  const rows = fs.readFileSync(path.join(SAMPLES, 'RESULTS.txt'), 'utf8').split('\n')
    .filter((l) => l.trim() && !l.startsWith('#')).map((l) => l.split(/\s+/))
  assert.ok(rows.length >= 20)
  const disagree = rows.filter(([verdict, , name]) =>
    vas.validateManifestSync(path.join(SAMPLES, name), { checkReferences: false }).valid !== (verdict === 'PASS'))
  assert.deepEqual(disagree, [])
})

test('valid and invalid manifests, sync and async', async () => {
  const ok = await vas.validateManifest(path.join(SAMPLES, 'f22-agent-2.3.xml'))
  assert.equal(ok.valid, true)
  assert.equal(ok.sedaVersion, '2.3')
  assert.equal(ok.mode, 'strict')
  assert.deepEqual(ok.findings, [])
  const ko = vas.validateManifestSync(path.join(SAMPLES, 'f21-signature-2.3.xml'))
  assert.equal(ko.valid, false)
  const f = ko.findings[0]
  assert.equal(f.kind, 'schema')
  assert.ok(f.line > 0 && f.column > 0 && f.message.length > 0)
  assert.match(f.path, /^\/ArchiveTransfer/)
  const fromBytes = await vas.validateManifest(fs.readFileSync(path.join(SAMPLES, 'f21-signature-2.3.xml')))
  assert.deepEqual(fromBytes.findings, ko.findings)
})

test('profile, malformed XML, references', () => {
  const opts = { mode: 'vitam', profile: path.join(PROFIL, 'Profil20.rng') }
  assert.equal(vas.validateManifestSync(path.join(PROFIL, 'manifest_ok.xml'), opts).valid, true)
  const ko = vas.validateManifestSync(path.join(PROFIL, 'manifest_ko.xml'), opts)
  assert.equal(ko.valid, false)
  assert.ok(ko.findings.some((f) => f.kind === 'profile'))
  const bad = vas.validateManifestSync(MALFORMED)
  assert.equal(bad.valid, false)
  assert.equal(bad.findings[0].kind, 'xml')
  const refs = vas.validateManifestSync(path.join(SAMPLES, 'ko-idref-2.3.xml'))
  assert.deepEqual([...new Set(refs.findings.map((f) => f.kind))], ['reference'])
})

test('validation errors', async () => {
  await assert.rejects(vas.validateManifest('no/such/manifest.xml'), { code: 'VAS_NOT_FOUND' })
  assert.throws(() => vas.validateManifestSync(path.join(SAMPLES, 'f22-agent-2.3.xml'), { mode: 'lax' }),
    { code: 'VAS_INVALID_INPUT' })
})

test('stats and rewrite', async () => {
  const s = await vas.manifestStats(path.join(SAMPLES, 'f22-agent-2.3.xml'))
  assert.equal(s.version, '2.3')
  assert.equal(s.kind, 'ArchiveTransfer')
  assert.ok(s.units >= 1 && s.roots >= 1 && s.maxDepth >= 1)
  assert.equal(s.hasCycle, false)
  assert.throws(() => vas.manifestStatsSync(MALFORMED), { code: 'VAS_XML' })
  assert.throws(() => vas.manifestStatsSync(path.join(PROFIL, 'Profil20.rng')), { code: 'VAS_UNSUPPORTED' })
  await assert.rejects(vas.manifestStats('no/such/manifest.xml'), { code: 'VAS_NOT_FOUND' })
  const out = await vas.rewriteManifest(path.join(SAMPLES, 'f22-agent-2.3.xml'))
  assert.ok(Buffer.isBuffer(out))
  assert.equal(vas.validateManifestSync(out).valid, true)
  assert.ok(vas.rewriteManifestSync(out).equals(out))
  assert.equal(vas.manifestStatsSync(vas.rewriteManifestSync(out, '2.2')).version, '2.2')
  assert.throws(() => vas.rewriteManifestSync(out, '9.9'), { code: 'VAS_UNSUPPORTED' })
})

test('format identification', async () => {
  const png = await vas.identify(path.join(DEMO, 'Pièces administratives', 'plan-facade.png'))
  assert.equal(png.puid, 'fmt/11')
  assert.equal(png.mime, 'image/png')
  const pdf = vas.identifySync(fs.readFileSync(path.join(DEMO, 'Pièces administratives', 'avis-attribution.pdf')), 'x.pdf')
  assert.equal(pdf.puid, 'fmt/18')
  assert.equal(vas.identifySync(Buffer.alloc(0)).puid, 'UNKNOWN')
  await assert.rejects(vas.identify('no/such/file.pdf'), { code: 'VAS_NOT_FOUND' })
})
