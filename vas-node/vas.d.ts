// Types of the package entry point (vas.js): the generated declarations of the native
// binding (index.d.ts) plus the Node-stream adapters.
import type { Readable } from 'node:stream'
import type { ObjectOptions, StoredObject } from './index'

export * from './index'

declare module './index' {
  interface Archive {
    /**
     * Streams a unit's object for `usage` (default `BinaryMaster`, latest version) as a
     * `Readable` of Buffers; the stream errors with `code: 'VAS_INTEGRITY'` at its end if
     * the digest does not match. Unknown unit, unit outside the contract, forbidden usage:
     * throws at once (`VAS_NOT_FOUND`, `VAS_DENIED`). `stream.object` is the catalog record.
     */
    openObject(contract: string, unit: string, usage?: string, options?: { chunkSize?: number }): Readable & { object: StoredObject }
  }
  interface SipBuilder {
    /**
     * Adds an object whose bytes come from a `Readable` (or any async iterable of Buffers or
     * strings), spooled to an unlinked temporary file; `options.filename` is required.
     */
    addObjectStream(unit: string, source: AsyncIterable<Uint8Array | string>, options: ObjectOptions & { filename: string }): Promise<void>
  }
}
