// Where the demo keeps its visits, so a restart of the server forgets nothing a visitor has
// paid for: what each visit has paid for (its credit), its connections and its BTP account.
//
//   openVisits({ root }) -> { where, ttlMs, load(key), save(visit), remove(key), close() }
//
// A visit is stored under the sha256 of its cookie credential (never the credential) and
// expires VISIT_TTL_MS after it was last saved. Amounts are BigInts in memory and decimal
// strings when stored.
export const VISIT_TTL_MS = 24 * 60 * 60 * 1000;

const BIG = ['credit'];
const CONN_BIG = ['verified', 'received', 'credited'];

export function encodeVisit (visit) {
  return JSON.stringify({
    key: visit.key,
    username: visit.username,
    token: visit.token,
    credit: visit.credit.toString(),
    createdAt: visit.createdAt,
    lastActive: visit.lastActive,
    connections: visit.connections.map((c) => ({
      nonce: c.nonce,
      run: c.run,
      stackId: c.stackId,
      destinationAccount: c.destinationAccount,
      sharedSecret: c.sharedSecret,
      verified: c.verified.toString(),
      received: c.received.toString(),
      credited: c.credited.toString()
    }))
  });
}

export function decodeVisit (text) {
  const v = JSON.parse(text);
  for (const k of BIG) v[k] = BigInt(v[k]);
  for (const c of v.connections) for (const k of CONN_BIG) c[k] = BigInt(c[k]);
  v.opening = 0;
  return v;
}

/** Visits in this process only (gone on restart). */
export function memoryVisits () {
  const m = new Map(); // key -> { text, expires }
  return {
    where: 'memory (lost on restart)',
    ttlMs: VISIT_TTL_MS,
    async load (key) {
      const e = m.get(key);
      if (!e || e.expires < Date.now()) { m.delete(key); return null; }
      return decodeVisit(e.text);
    },
    async save (visit) { m.set(visit.key, { text: encodeVisit(visit), expires: Date.now() + VISIT_TTL_MS }); },
    async remove (key) { m.delete(key); },
    async close () {}
  };
}

export async function openVisits () {
  return memoryVisits();
}
