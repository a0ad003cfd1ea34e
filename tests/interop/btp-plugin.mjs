// ilp-plugin-btp, wrapped for scripts that drive the reference JS client.
//
// Trap (reference client, not the stack): ilp-protocol-stream's
// createConnection() disconnects the plugin on the connection's 'close'
// event, yet its send loop may still send one more (amount 0) packet right
// after that, or have one in flight. ilp-plugin-btp writes it to the closed
// socket, never gets a reply, and its 35 s response timer (not unref'd)
// keeps the process alive. So: disconnect() lets in-flight requests finish,
// and sendData() after disconnect() fails at once. `sends` counts the BTP
// data messages sent (for benchmarks).
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const BtpPlugin = require('ilp-plugin-btp')

export class ReferenceBtpPlugin extends BtpPlugin {
  constructor (...args) { super(...args); this._inflight = new Set(); this._down = false; this.sends = 0 }
  async sendData (buf) {
    if (this._down) throw new Error('plugin disconnected')
    this.sends++
    const p = super.sendData(buf)
    this._inflight.add(p)
    try { return await p } finally { this._inflight.delete(p) }
  }

  async disconnect () {
    this._down = true
    await Promise.allSettled([...this._inflight])
    return super.disconnect()
  }
}
