// SqliteStore: receipt nonces and totals in an SQLite file (better-sqlite3), the
// embedded default for a ReceiptVerifier. A file, no server to run; it survives
// restarts, and several processes may share it (WAL; each total is raised inside
// one BEGIN IMMEDIATE transaction, which holds the file's write lock).
//
// The entry point ilp-stream-web/stores/sqlite (Node.js only): the user installs
// better-sqlite3 (an optional peer dependency of the package).
import Database from 'better-sqlite3';
import { ReceiptError, padTotal } from '../receipts.js';

const SWEEP_EVERY_MS = 60_000;

/**
 * Options: `filename` (a path; ':memory:' for a private in-memory database) or `database`
 * (an open better-sqlite3 Database, which close() then leaves open), `busyTimeoutMs`
 * (how long to wait for another process's write lock, default 5000), `now` (the clock,
 * ms since the epoch, default Date.now, for tests).
 * Tables: receipt_nonces (nonce, secret, visitor_id, expires_at) and receipt_totals
 * (nonce, stream_id, total), created if missing. Totals are kept as 20-digit text.
 */
export class SqliteStore {
  #db;
  #own;
  #now;
  #nextSweep = 0;
  #sql;
  #raise;
  #sweepNow;
  #remove;

  constructor({ filename, database, busyTimeoutMs = 5000, now = Date.now } = {}) {
    if (database) {
      this.#db = database;
      this.#own = false;
    } else if (typeof filename === 'string' && filename) {
      this.#db = new Database(filename);
      this.#own = true;
    } else {
      throw new ReceiptError('invalid-option', 'SqliteStore needs a filename or a better-sqlite3 database');
    }
    this.#now = now;
    const db = this.#db;
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    db.pragma('journal_mode = WAL');
    db.exec(`
      CREATE TABLE IF NOT EXISTS receipt_nonces (
        nonce TEXT PRIMARY KEY,
        secret TEXT NOT NULL,
        visitor_id TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS receipt_nonces_visitor ON receipt_nonces (visitor_id);
      CREATE INDEX IF NOT EXISTS receipt_nonces_expiry ON receipt_nonces (expires_at);
      CREATE TABLE IF NOT EXISTS receipt_totals (
        nonce TEXT NOT NULL,
        stream_id INTEGER NOT NULL,
        total TEXT NOT NULL,
        PRIMARY KEY (nonce, stream_id)
      );
    `);
    this.#sql = {
      put: db.prepare('INSERT OR REPLACE INTO receipt_nonces (nonce, secret, visitor_id, expires_at) VALUES (?, ?, ?, ?)'),
      get: db.prepare('SELECT secret, visitor_id FROM receipt_nonces WHERE nonce = ? AND expires_at > ?'),
      total: db.prepare('SELECT total FROM receipt_totals WHERE nonce = ? AND stream_id = ?'),
      setTotal: db.prepare('INSERT INTO receipt_totals (nonce, stream_id, total) VALUES (?, ?, ?) ON CONFLICT (nonce, stream_id) DO UPDATE SET total = excluded.total'),
      touch: db.prepare('UPDATE receipt_nonces SET expires_at = ? WHERE nonce = ?'),
      visitor: db.prepare(`SELECT t.total FROM receipt_totals t JOIN receipt_nonces n ON n.nonce = t.nonce
                           WHERE n.visitor_id = ? AND n.expires_at > ?`),
      removeTotals: db.prepare('DELETE FROM receipt_totals WHERE nonce IN (SELECT nonce FROM receipt_nonces WHERE visitor_id = ?)'),
      removeNonces: db.prepare('DELETE FROM receipt_nonces WHERE visitor_id = ?'),
      sweepTotals: db.prepare('DELETE FROM receipt_totals WHERE nonce IN (SELECT nonce FROM receipt_nonces WHERE expires_at <= ?)'),
      sweepNonces: db.prepare('DELETE FROM receipt_nonces WHERE expires_at <= ?'),
    };
    // The atomic step: read the last total, write the higher one, in one write transaction.
    this.#raise = db.transaction((nonce, streamId, total, ttlMs) => {
      const now = this.#now();
      if (!this.#sql.get.get(nonce, now)) return null;
      const row = this.#sql.total.get(nonce, streamId);
      const last = row ? BigInt(row.total) : 0n;
      this.#sql.touch.run(now + ttlMs, nonce);
      if (total <= last) return { increase: 0n, total: last };
      this.#sql.setTotal.run(nonce, streamId, padTotal(total));
      return { increase: total - last, total };
    });
    this.#remove = db.transaction((visitorId) => {
      this.#sql.removeTotals.run(visitorId);
      return this.#sql.removeNonces.run(visitorId).changes;
    });
    this.#sweepNow = db.transaction((now) => {
      this.#sql.sweepTotals.run(now);
      this.#sql.sweepNonces.run(now);
    });
  }

  async putNonce({ nonce, secret, visitorId, ttlMs }) {
    const now = this.#now();
    if (now >= this.#nextSweep) {
      this.#nextSweep = now + Math.min(ttlMs, SWEEP_EVERY_MS);
      this.#sweepNow.immediate(now);
    }
    this.#sql.put.run(nonce, secret, visitorId, now + ttlMs);
  }

  async getNonce(nonce) {
    const row = this.#sql.get.get(nonce, this.#now());
    return row ? { secret: row.secret, visitorId: row.visitor_id } : null;
  }

  async raiseTotal({ nonce, streamId, total, ttlMs }) {
    return this.#raise.immediate(nonce, streamId, total, ttlMs);
  }

  async visitorTotal(visitorId) {
    let sum = 0n;
    for (const row of this.#sql.visitor.all(visitorId, this.#now())) sum += BigInt(row.total);
    return sum;
  }

  async removeVisitor(visitorId) {
    return this.#remove.immediate(visitorId);
  }

  /** Closes the database (unless it was given as `database`). */
  async close() {
    if (this.#own && this.#db.open) this.#db.close();
  }
}
