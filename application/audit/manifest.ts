import { z } from 'zod';
import type { AuditRow } from './audit-row.js';

/**
 * The manifest that closes an export, signed as a compact JWS. It pins what the rows must add up to:
 * how many there are, the totals per currency, and the first and last hash of the chain, so a
 * verifier catches rows cut off the end or a chain rebuilt after signing.
 */

export const MANIFEST_KIND = 'tessera.audit.transactions';
export const MANIFEST_VERSION = 1;
/** `typ` of the manifest's JWS header. */
export const MANIFEST_JWS_TYPE = 'tessera-audit-manifest+json';

/** Sums of one currency's rows, in minor units. */
export const CurrencyTotalsSchema = z.strictObject({
  /** Sum of `captured` rows. */
  captured: z.int().nonnegative(),
  /** Sum of `refunded` rows. */
  refunded: z.int().nonnegative(),
  /** captured - refunded. */
  net: z.int(),
  /** VAT contained in `net`. */
  vat: z.int(),
  /** What declined attempts asked for (nothing moved). */
  failed: z.int().nonnegative(),
});
export type CurrencyTotals = z.infer<typeof CurrencyTotalsSchema>;

const Hash = z.string().regex(/^[0-9a-f]{64}$/);

export const ManifestSchema = z.strictObject({
  kind: z.literal(MANIFEST_KIND),
  version: z.literal(MANIFEST_VERSION),
  /** The period [from, to) of the events exported (their `occurredAt`). */
  period: z.strictObject({ from: z.iso.datetime(), to: z.iso.datetime() }),
  count: z.int().nonnegative(),
  totals: z.record(z.string().regex(/^[A-Z]{3}$/), CurrencyTotalsSchema),
  /** The chain's starting value (the first row's prevHash). */
  genesisHash: Hash,
  /** null for an export without rows. */
  firstHash: Hash.nullable(),
  /** The last row's hash (the genesis hash for an export without rows). */
  lastHash: Hash,
  createdAt: z.iso.datetime(),
  /** The signing key, as in the JWS header. */
  kid: z.string().min(1),
});
export type Manifest = z.infer<typeof ManifestSchema>;

/** Adds rows up per currency, in the same way for the exporter and the verifier. */
export class TotalsAccumulator {
  private readonly byCurrency = new Map<string, CurrencyTotals>();

  add(row: Pick<AuditRow, 'movement' | 'currency' | 'amount' | 'net' | 'vat'>): void {
    const t = this.byCurrency.get(row.currency) ?? { captured: 0, refunded: 0, net: 0, vat: 0, failed: 0 };
    this.byCurrency.set(row.currency, {
      captured: t.captured + (row.movement === 'captured' ? row.amount : 0),
      refunded: t.refunded + (row.movement === 'refunded' ? row.amount : 0),
      failed: t.failed + (row.movement === 'failed' ? row.amount : 0),
      net: t.net + row.net,
      vat: t.vat + row.vat,
    });
  }

  /** Totals keyed by currency, currencies in alphabetical order. */
  totals(): Record<string, CurrencyTotals> {
    return Object.fromEntries([...this.byCurrency.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
  }
}

/** "NOK captured 9800, refunded 2450, net 7350; SEK …" */
export function describeTotals(totals: Readonly<Record<string, CurrencyTotals>>): string {
  const parts = Object.entries(totals).map(
    ([currency, t]) =>
      `${currency} captured ${t.captured}, refunded ${t.refunded}, net ${t.net} (VAT ${t.vat}), failed ${t.failed}`,
  );
  return parts.length === 0 ? 'no money moved' : parts.join('; ');
}
