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
