/** Plane geometry for registration: 3x3 homographies (row-major), fitted by least squares. */

export type Matrix3 = [number, number, number, number, number, number, number, number, number];
export type Point = readonly [number, number];

export function applyHomography(m: Matrix3, x: number, y: number): [number, number] {
  const w = m[6] * x + m[7] * y + m[8];
  return [(m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w];
}

export function multiply3(a: Matrix3, b: Matrix3): Matrix3 {
  const r = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += a[i * 3 + k]! * b[k * 3 + j]!;
      r[i * 3 + j] = s;
    }
  }
  return r as Matrix3;
}

export function invert3(m: Matrix3): Matrix3 {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (Math.abs(det) < 1e-12) throw new Error('singular matrix');
  const inv = [
    A,
    -(b * i - c * h),
    b * f - c * e,
    B,
    a * i - c * g,
    -(a * f - c * d),
    C,
    -(a * h - b * g),
    a * e - b * d,
  ];
  return inv.map((v) => v / det) as Matrix3;
}

/** Solves A x = b in place by Gaussian elimination with partial pivoting; null when singular. */
export function solveLinear(A: number[][], b: number[]): number[] | null {
  const n = b.length;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(A[r]![col]!) > Math.abs(A[pivot]![col]!)) pivot = r;
    if (Math.abs(A[pivot]![col]!) < 1e-12) return null;
    [A[col], A[pivot]] = [A[pivot]!, A[col]!];
    [b[col], b[pivot]] = [b[pivot]!, b[col]!];
    const rowC = A[col]!;
    for (let r = col + 1; r < n; r++) {
      const row = A[r]!;
      const f = row[col]! / rowC[col]!;
      if (f === 0) continue;
      for (let k = col; k < n; k++) row[k]! -= f * rowC[k]!;
      b[r]! -= f * b[col]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r]!;
    for (let k = r + 1; k < n; k++) s -= A[r]![k]! * x[k]!;
    x[r] = s / A[r]![r]!;
  }
  return x;
}

/** Least squares via the normal equations (fine for the handful of points registration uses). */
function leastSquares(rows: number[][], rhs: number[]): number[] | null {
  const n = rows[0]?.length ?? 0;
  const AtA = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const Atb = new Array<number>(n).fill(0);
  rows.forEach((row, k) => {
    for (let i = 0; i < n; i++) {
      Atb[i]! += row[i]! * rhs[k]!;
      for (let j = 0; j < n; j++) AtA[i]![j]! += row[i]! * row[j]!;
    }
  });
  return solveLinear(AtA, Atb);
}

/** Similarity normalisation (Hartley): centroid at 0, mean distance √2; keeps the fit well conditioned. */
function normaliser(pts: readonly Point[]): Matrix3 {
  const cx = pts.reduce((s, p) => s + p[0], 0) / pts.length;
  const cy = pts.reduce((s, p) => s + p[1], 0) / pts.length;
  const d = pts.reduce((s, p) => s + Math.hypot(p[0] - cx, p[1] - cy), 0) / pts.length || 1;
  const k = Math.SQRT2 / d;
  return [k, 0, -k * cx, 0, k, -k * cy, 0, 0, 1];
}

/** Affine map from `src` to `dst` (at least 3 points), as a homography with last row 0 0 1. */
export function fitAffine(src: readonly Point[], dst: readonly Point[]): Matrix3 | null {
  if (src.length < 3 || src.length !== dst.length) return null;
  const rows: number[][] = [];
  const rhs: number[] = [];
  src.forEach(([x, y], i) => {
    const [u, v] = dst[i]!;
    rows.push([x, y, 1, 0, 0, 0]);
    rhs.push(u);
    rows.push([0, 0, 0, x, y, 1]);
    rhs.push(v);
  });
  const p = leastSquares(rows, rhs);
  return p ? ([p[0]!, p[1]!, p[2]!, p[3]!, p[4]!, p[5]!, 0, 0, 1] as Matrix3) : null;
}

/** Projective map from `src` to `dst` (at least 4 points), normalised DLT with h33 = 1. */
export function fitHomography(src: readonly Point[], dst: readonly Point[]): Matrix3 | null {
  if (src.length < 4 || src.length !== dst.length) return null;
  const Ts = normaliser(src);
  const Td = normaliser(dst);
  const s = src.map((p) => applyHomography(Ts, p[0], p[1]));
  const d = dst.map((p) => applyHomography(Td, p[0], p[1]));
  const rows: number[][] = [];
  const rhs: number[] = [];
  s.forEach(([x, y], i) => {
    const [u, v] = d[i]!;
    rows.push([x, y, 1, 0, 0, 0, -u * x, -u * y]);
    rhs.push(u);
    rows.push([0, 0, 0, x, y, 1, -v * x, -v * y]);
    rhs.push(v);
  });
  const h = leastSquares(rows, rhs);
  if (!h) return null;
  const Hn = [...h, 1] as Matrix3;
  const H = multiply3(invert3(Td), multiply3(Hn, Ts));
  const scale = H[8];
  return H.map((v) => v / scale) as Matrix3;
}

/**
 * Where one page millimetre along x and along y goes in the image at a page point: the map's local axes there
 * (under a photo's keystone they differ from point to point, and from the matrix's own columns).
 */
export function axesAt(m: Matrix3, x: number, y: number): { across: Point; down: Point } {
  const [ox, oy] = applyHomography(m, x, y);
  const [ax, ay] = applyHomography(m, x + 1, y);
  const [dx, dy] = applyHomography(m, x, y + 1);
  return { across: [ax - ox, ay - oy], down: [dx - ox, dy - oy] };
}

/** Distances between `m(src[i])` and `dst[i]`. */
export function residuals(m: Matrix3, src: readonly Point[], dst: readonly Point[]): number[] {
  return src.map((p, i) => {
    const [x, y] = applyHomography(m, p[0], p[1]);
    return Math.hypot(x - dst[i]![0], y - dst[i]![1]);
  });
}

/** A straight line: a point on it and its unit normal. */
export interface Line {
  c: Point;
  n: Point;
}

/** A line through points by total least squares: a point on it and its unit normal. */
export function fitLine(points: readonly Point[]): Line {
  const cx = points.reduce((s, p) => s + p[0], 0) / points.length;
  const cy = points.reduce((s, p) => s + p[1], 0) / points.length;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const [x, y] of points) {
    sxx += (x - cx) ** 2;
    sxy += (x - cx) * (y - cy);
    syy += (y - cy) ** 2;
  }
  // The direction of least spread is the normal.
  const angle = 0.5 * Math.atan2(2 * sxy, sxx - syy) + Math.PI / 2;
  return { c: [cx, cy], n: [Math.cos(angle), Math.sin(angle)] };
}

/** Distance of a point from a line. */
export const lineDistance = (l: Line, p: Point) =>
  Math.abs((p[0] - l.c[0]) * l.n[0] + (p[1] - l.c[1]) * l.n[1]);
