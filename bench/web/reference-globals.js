// Node globals the reference client uses, injected into its browser bundle:
// Buffer, process (nextTick) and setImmediate (ilp-protocol-stream's send loop).
import 'setimmediate'
import { Buffer } from 'buffer'
import process from 'process'
export { Buffer, process }
