/** Figures benchmarks share. */

/** The q-quantile of a sample (nearest rank), 0 for an empty one; q = 0.5 is the median. */
export function quantile(xs: number[], q = 0.5): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
}
