/**
 * Arithmetic shared by the report projections. Reports split money between SKUs; every split is
 * made in integer minor units with the largest-remainder method, so the parts always add up to
 * the whole exactly, whatever the rounding.
 */

/**
 * Splits `total` (a non-negative integer) into parts proportional to `weights` (non-negative
 * integers): each part gets the floor of its exact share, and the units left over go one each to
 * the parts with the largest remainders (ties: the earlier part). The parts sum to `total`; a part
 * never exceeds its weight when `total` does not exceed the sum of the weights. With all weights
 * zero, everything goes to the first part.
 */
export function allocate(total: number, weights: readonly number[]): number[] {
  if (weights.length === 0) return [];
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum === 0) return weights.map((_, i) => (i === 0 ? total : 0));
  const bigTotal = BigInt(total);
  const bigSum = BigInt(sum);
  const parts = weights.map((w) => (bigTotal * BigInt(w)) / bigSum);
  const remainders = weights.map((w, i) => ({ i, r: (bigTotal * BigInt(w)) % bigSum }));
  let left = Number(bigTotal - parts.reduce((a, b) => a + b, 0n));
  remainders.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (const { i } of remainders) {
    if (left === 0) break;
    parts[i] = parts[i]! + 1n;
    left--;
  }
  return parts.map(Number);
}

/** The UTC day (YYYY-MM-DD) of an ISO 8601 instant as the store records it. */
export function utcDay(instant: string): string {
  return new Date(instant).toISOString().slice(0, 10);
}
