// Preloaded with `node -r` before ilp-protocol-stream 2.7.1, which assigns
// `this.closed` on its streams: Node 20 made `closed` a getter-only property
// of stream.Duplex.prototype, so that assignment throws. This gives the
// property a setter that stores the library's own value. bench/packet.mjs
// prefers network/shim.cjs when the checkout has one.
'use strict'
const { Duplex } = require('node:stream')

const own = Object.getOwnPropertyDescriptor(Duplex.prototype, 'closed')
if (own && own.get && !own.set) {
  const value = Symbol('ilp-protocol-stream closed')
  Object.defineProperty(Duplex.prototype, 'closed', {
    configurable: true,
    enumerable: own.enumerable,
    get () {
      return Object.prototype.hasOwnProperty.call(this, value) ? this[value] : own.get.call(this)
    },
    set (v) {
      this[value] = v
    }
  })
}
