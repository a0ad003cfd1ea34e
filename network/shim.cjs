'use strict'
// Node >= 18 compatibility shim for ilp-protocol-stream@2.7.1.
//
// The library's DataAndMoneyStream extends stream.Duplex and keeps its own state in a
// plain `this.closed` field (`this.closed = false` in the constructor, `= true` on close).
// Node 18 added a getter-only `closed` accessor to Readable.prototype and
// Writable.prototype, so that assignment throws in strict mode:
//   TypeError: Cannot set property closed of #<Readable> which has only a getter
// Readable/Writable's own descriptors are non-configurable (cannot be replaced), but
// Duplex.prototype has no own `closed`: it inherits Readable's getter. We put an accessor
// there whose setter turns `closed` into an ordinary own data property of the instance,
// i.e. exactly the pre-Node-18 behaviour for code that assigns it, while instances that
// never assign it (net.Socket, ws, ...) keep Node's native getter.
// Load this before any stream is constructed (importing it first is enough).
const { Duplex, Readable } = require('node:stream')

const MARK = Symbol.for('ilp-stream-web.closed-shim')

if (!Duplex.prototype[MARK]) {
  const own = Object.getOwnPropertyDescriptor(Duplex.prototype, 'closed')
  const inherited = own || Object.getOwnPropertyDescriptor(Readable.prototype, 'closed')
  if (!own || own.configurable) {
    Object.defineProperty(Duplex.prototype, 'closed', {
      configurable: true,
      enumerable: false,
      get () {
        return inherited && inherited.get ? inherited.get.call(this) : undefined
      },
      set (value) {
        Object.defineProperty(this, 'closed', {
          value, writable: true, configurable: true, enumerable: true
        })
      }
    })
  }
  Object.defineProperty(Duplex.prototype, MARK, { value: true })
}

module.exports = {}
