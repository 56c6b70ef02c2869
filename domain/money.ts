/**
 * floor(amount × part / whole), exactly. Order totals reach about 2.1e15 minor units, so the
 * product of two amounts passes 2^53, where a JS number would round it; BigInt does not. For
 * non-negative integers with whole > 0 (a share of a discount, a percentage of a subtotal).
 */
export function shareOf(amount: number, part: number, whole: number): number {
  if (whole <= 0) throw new RangeError(`cannot take a share of a whole of ${whole}`);
  return Number((BigInt(amount) * BigInt(part)) / BigInt(whole));
}
