// The package entry point: the generated native binding (index.js, index.d.ts) plus the
// Node-stream adapters, which contain no logic of their own:
// - Archive#openObject(contract, unit, usage?) -> Readable over Archive#openObjectReader;
// - SipBuilder#addObjectStream(unit, source, options) -> spools an async iterable (a
//   Readable …) to an unlinked temporary file, each chunk written on the libuv thread
//   pool (the event loop never waits for the disk), then adds it as an object.
'use strict'
const { Readable } = require('node:stream')
const native = require('./index.js')

native.Archive.prototype.openObject = function openObject(contract, unit, usage, options) {
  const reader = this.openObjectReader(contract, unit, usage)
  const chunkSize = (options && options.chunkSize) || 65536
  const stream = new Readable({
    highWaterMark: chunkSize,
    read() {
      reader.read(chunkSize).then((buf) => this.push(buf), (err) => this.destroy(err))
    },
    destroy(err, callback) {
      reader.close()
      callback(err)
    },
  })
  stream.object = reader.object
  return stream
}

native.SipBuilder.prototype.addObjectStream = async function addObjectStream(unit, source, options) {
  if (!options || typeof options.filename !== 'string') {
    native._raiseError('InvalidInput', 'an object from a stream needs options.filename')
  }
  if (source == null || typeof source[Symbol.asyncIterator] !== 'function') {
    native._raiseError('InvalidInput', 'addObjectStream needs a Readable or an async iterable of Buffers')
  }
  const spool = new native._ObjectSpool()
  for await (const chunk of source) {
    await spool.writeAsync(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  }
  this._addObjectSpool(unit, spool, options)
}

module.exports = native
