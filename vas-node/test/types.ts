// Type-checked (not run) against the generated index.d.ts: `npm run typecheck`.
import { Hasher, digest, digestFile, digestFileSync, digestSync, errorKinds, identify, identifySync, manifestStats, rewriteManifestSync, validateManifest, validateManifestSync, version } from '..'
import type { ErrorKindInfo, FileDigest, Finding, Identification, ManifestStats, ManifestValidation, VasErrorFields } from '..'

declare const data: Buffer

async function main(): Promise<void> {
  const v: string = version()
  const hex: string = await digest(data, 'SHA-256')
  const hex2: string = digestSync(data)
  const f: FileDigest = await digestFile('x.pdf', 'SHA-512')
  const g: FileDigest = digestFileSync('x.pdf')
  const size: number = f.size + g.size
  const h = new Hasher('MD5')
  h.update(data)
  const d: Buffer = h.digest()
  const s: string = h.hexdigest() + h.algorithm + h.copy().hexdigest()
  const n: number = h.size + h.digestSize
  const kinds: ErrorKindInfo[] = errorKinds()
  const code: string = kinds[0].jsCode
  const builtin: string | undefined = kinds[0].pythonBuiltin
  try {
    digestFileSync('missing')
  } catch (e) {
    const err = e as Error & VasErrorFields
    const fields: [string, string, string | undefined, number | undefined] = [err.code, err.message, err.path, err.line]
    void fields
  }
  const mv: ManifestValidation = await validateManifest('m.xml', { mode: 'vitam', profile: 'p.rng' })
  const mv2: ManifestValidation = validateManifestSync(data)
  const fi: Finding[] = mv.findings.concat(mv2.findings)
  const st: ManifestStats = await manifestStats('m.xml')
  const rw: Buffer = rewriteManifestSync(data, '2.2')
  const id: Identification = await identify('x.pdf')
  const id2: string = identifySync(data, 'x.pdf').puid
  void [v, hex, hex2, size, d, s, n, code, builtin, fi, st.maxDepth, rw, id.puid, id2]
}
void main

// SIP building, inspection, dry run, rules, archive (type-checked, not run).
import { Archive, ObjectReader, SipBuilder, computeRules, computeRulesSync, dryRunIngest, dryRunIngestSync, inspectSip, inspectSipSync } from '..'
import type { ArchiveCounts, AuditSummary, BuildReport, BuiltPackage, DipSummary, DryRunResult, FolderImportResult, IngestResult, ObjectContent, OperationReport, RulesResult, SipInspection, StoredObject, Verification } from '..'
import type { Readable } from 'node:stream'

async function more(): Promise<void> {
  const b = new SipBuilder('2.3')
  b.setHeader({ archivalAgency: 'AG', transferringAgency: 'TA', archivalAgreement: 'IC' })
  const root: string = b.addUnit(null, 'Fonds', { descriptionLevel: 'Fonds', rules: [{ category: 'AccessRule', rule: 'ACC-00001' }] })
  const item: string = b.addUnit(root, 'Pièce', { id: 'P1', fields: [{ path: 'Writer.0.FullName', value: 'X' }] })
  b.updateUnit(item, { description: 'd', finalActions: [{ category: 'AppraisalRule', action: 'Keep' }] })
  b.addRule(item, 'AppraisalRule', 'APP-1', '2020-01-01')
  b.setFinalAction(item, 'AppraisalRule', 'Destroy')
  b.addField(item, 'Keyword.0.KeywordContent', 'k')
  b.link(root, item)
  b.addObject(item, 'a.pdf')
  b.addObject(item, data, { filename: 'a.txt', usage: 'TextContent_1', lastModified: false })
  b.addPhysicalObject(item, 'PhysicalMaster_1', 'B-1')
  await b.addObjectStream(item, process.stdin, { filename: 's.bin', usage: 'Dissemination_1' })
  const fi: FolderImportResult = await b.importFolder('dir', { parent: root, csv: 'm.csv', csvOptions: { separator: ';' } })
  const fi2: Record<string, string> = b.importFolderSync('dir').units
  const ids: Record<string, string> = b.importCsv(data, 'base', { encoding: 'utf-8' })
  b.exportCsv('out.csv', 'base')
  const counts: number = b.unitCount + b.objectCount
  const br: BuildReport = await b.write('sip.zip', { format: 'zip', digestAlgorithm: 'SHA-256', deterministic: true, manifestLast: false, identifyFormats: true, compression: 'stored', compressionLevel: 6 })
  const br2: BuildReport = b.writeSync('sip.tar')
  const pkg: BuiltPackage = await b.toBuffer()
  const bytes: Buffer = b.toBufferSync({ deterministic: true }).data
  const ins: SipInspection = await inspectSip('sip.zip', { tree: true })
  const verdict: string = inspectSipSync('sip.zip', { digests: false }).verdict
  const dr: DryRunResult = await dryRunIngest('sip.zip', { referentials: 'refs', context: 'DEFAULT_WORKFLOW' })
  const rep: OperationReport = dryRunIngestSync('sip.zip').report
  const outcome: string = rep.events[0].outDetail + dr.atr
  const rr: RulesResult = await computeRules('refs', 'sip.zip', { unit: 'P1', at: '2030-01-01' })
  const rr2: RulesResult = computeRulesSync('refs', data)
  const a: Archive = await Archive.create('arch', { referentials: 'refs', tenant: 1 })
  const a2: Archive = Archive.openSync('arch')
  const ir: IngestResult = await a.ingest('sip.zip', { typeProc: 'INGEST' })
  const sys: Record<string, string> = a.ingestSync('sip.zip').systemIds
  const hits: Record<string, any> = await a.search('C', { $query: {} })
  const hits2: Record<string, any> = a.searchSync('C', '{"$query":{}}')
  const unit: Record<string, any> = await a.getUnit('C', 'id')
  const so: StoredObject = a.objectInfo('C', 'id', 'BinaryMaster')
  const oc: ObjectContent = await a.readObject('C', 'id')
  const r: Readable & { object: StoredObject } = a.openObject('C', 'id', 'Dissemination', { chunkSize: 4096 })
  const reader: ObjectReader = a.openObjectReader('C', 'id')
  const chunk: Buffer | null = await reader.read(1024)
  const ex: StoredObject = await a.exportObject('C', 'id', 'BinaryMaster', 'out.pdf')
  const dip: DipSummary = await a.dip('C', { $query: {} }, 'dip.zip')
  const v: Verification = await a.verify()
  const au: AuditSummary = await a.audit(true)
  const ac: ArchiveCounts = a.counts()
  const ops: Record<string, any>[] = await a.operations()
  const lfc: Record<string, any>[] = await a.lifecycle('unit', 'id')
  const lfc2: Record<string, any>[] = a.lifecycleSync('objectGroup', 'id')
  const op: Record<string, any> = await a.operation('op')
  const er: Record<string, any> = await a.eliminationReport('op')
  const er2: Record<string, any> = a.eliminationReportSync('op')
  const reg: Record<string, any>[] = a.accessionRegisterSync('C')
  const closed: boolean = a.closed
  a.close()
  a2.close()
  void [fi, fi2, ids, counts, br, br2, pkg, bytes, ins.counts, verdict, outcome, rr.units[0].id, rr2, ir.accepted, sys, hits, hits2, unit, so.size, oc.data, r.object.id, chunk, ex, dip.units, v.ok, au.allRepaired, ac.units, ops, lfc, lfc2, op, er, er2, reg, closed]
}
void more
