import { hash as digest } from 'node:crypto';
import { stableStringify } from '../kernel/stable-json.js';
import { AUDIT_COLUMNS, type AuditRow, type UnchainedRow } from './audit-row.js';

/**
 * The hash chain of an export. Each row's hash covers the previous row's hash and the row itself:
 *
 *   hash = SHA-256( prevHash || canonical(row) )   (hex, over the UTF-8 text of both)
 *
 * where canonical(row) is the stable JSON (keys sorted) of the row without `prevHash` and `hash`,
 * and the first row's prevHash is GENESIS_HASH. The canonical form does not depend on the file
 * format, so a CSV and an NDJSON export of the same period carry the same hashes. Changing, removing,
 * inserting or reordering a row breaks the chain at that row; the signed manifest pins the count and
 * the last hash, so cutting rows off the end or re-chaining everything is caught as well.
 */

/** The prevHash of the first row: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** The row's fields that are hashed, in stable (sorted) order. */
const CANONICAL_KEYS = AUDIT_COLUMNS.filter((c) => c !== 'prevHash' && c !== 'hash').sort();
const CANONICAL_PREFIXES = CANONICAL_KEYS.map((key, i) => `${i === 0 ? '{' : ','}${JSON.stringify(key)}:`);

/**
 * stableStringify of the row without `prevHash` and `hash`. A row is flat (strings, integers, null),
 * so its stable JSON is written directly from the pre-sorted keys, which is what makes hashing a
 * million rows cheap; a test holds it equal to stableStringify.
 */
export function canonicalRow(row: UnchainedRow | AuditRow): string {
  let out = '';
  for (let i = 0; i < CANONICAL_KEYS.length; i++) {
    out += CANONICAL_PREFIXES[i]! + JSON.stringify((row as UnchainedRow)[CANONICAL_KEYS[i]!]);
  }
  return `${out}}`;
}

/** The reference definition: stable JSON of the row without `prevHash` and `hash`. */
export function canonicalRowReference(row: UnchainedRow | AuditRow): string {
  const { prevHash: _prev, hash: _hash, ...rest } = row as AuditRow;
  return stableStringify(rest);
}

/**
 * SHA-256 (hex) of `prevHash + canonicalRow(row)`. The one-shot crypto.hash makes no Hash object (a
 * wrapper of native hashing state, garbage right after) per row, and hashes rows of this size in
 * about half the time createHash takes.
 */
export function chainHash(prevHash: string, row: UnchainedRow | AuditRow): string {
  return digest('sha256', prevHash + canonicalRow(row), 'hex');
}

/** Chains rows one after the other, starting at GENESIS_HASH. */
export class HashChain {
  private last = GENESIS_HASH;
  private first: string | null = null;

  append(row: UnchainedRow): AuditRow {
    const prevHash = this.last;
    const hash = chainHash(prevHash, row);
    this.last = hash;
    this.first ??= hash;
    return { ...row, prevHash, hash };
  }

  /** The first row's hash, or null before any row. */
  firstHash(): string | null {
    return this.first;
  }

  /** The last row's hash (GENESIS_HASH before any row). */
  lastHash(): string {
    return this.last;
  }
}
