// The reference client for the browser: ilp-plugin-btp + ilp-protocol-stream,
// bundled by bench/size.mjs (esbuild, platform browser, minified, with the
// Node polyfills it needs) to measure what a page pays for it, and loaded by
// bench/web/index.html to run it in Chromium next to ours.
import BtpPlugin from 'ilp-plugin-btp'
import { createConnection } from 'ilp-protocol-stream'

/** Connects to `btp` and opens a STREAM connection; returns { conn, stream, plugin }. */
export async function connect ({ btp, destinationAccount, sharedSecret }) {
  const plugin = new BtpPlugin({ server: btp })
  const conn = await createConnection({
    plugin,
    destinationAccount,
    sharedSecret: Buffer.from(sharedSecret, 'base64')
  })
  return { conn, stream: conn.createStream(), plugin }
}

/** Pays `amount` over a fresh connection, then closes it. */
export async function pay (options, amount) {
  const { conn, stream, plugin } = await connect(options)
  await stream.sendTotal(amount)
  await conn.end()
  await plugin.disconnect()
  return conn.totalDelivered
}
