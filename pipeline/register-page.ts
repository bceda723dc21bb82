/**
 * Registration without printed marks, for designs that have none (imported from other OMR systems): the
 * sheet's own outline on a darker ground, or the image itself when it arrives cut to the sheet. Both put the
 * page's corners at the definition's page corners.
 */
import type { FormDefinition } from '../forms/schema.ts';
import {
  axesAt,
  fitHomography,
  fitLine,
  type Line,
  lineDistance,
  type Matrix3,
  type Point,
} from './geometry.ts';
import { type GreyImage, sampleBilinear, thumbnail } from './image.ts';
import type { Registration, RegistrationFailure } from './register.ts';

const MM_PER_INCH = 25.4;

export const PAGE_EDGE_TOLERANCE = {
  /** Long side of the copy the sheet is found on, px: its outline needs no more. */
  workLongSide: 400,
  /** The sheet covers at least this share of the image (else it is a bright patch, not the page). */
  minPageShare: 0.15,
  /** Points measured along each edge. */
  edgePoints: 48,
  /** Share of each edge's points kept for its line (the rest: a finger, a shadow, a torn corner). */
  keepShare: 0.75,
  /**
   * Largest distance of a kept edge point from its edge's line, mm: beyond it the sheet is curled or folded
   * and its corners no longer place the fields.
   */
  maxResidualMm: 1.5,
} as const;

type Result = { ok: true; registration: Registration } | { ok: false; failure: RegistrationFailure };

function pageCorners(def: FormDefinition): Point[] {
  const { width: w, height: h } = def.page;
  return [
    [0, 0],
    [w, 0],
    [w, h],
    [0, h],
  ];
}

export function pageRegistration(
  t: Matrix3,
  def: FormDefinition,
  model: Registration['model'],
  residualMm: number,
) {
  // Scale at the page's centre, along its width.
  const { across } = axesAt(t, def.page.width / 2, def.page.height / 2);
  const pxPerMm = Math.hypot(across[0], across[1]);
  return {
    ok: true as const,
    registration: {
      transform: t,
      model,
      orientation: 0 as const,
      residualMm,
      anchorsUsed: [],
      marksUsed: 0,
      dpi: pxPerMm * MM_PER_INCH,
    },
  };
}

/** The image is the page: its corners are the page's. */
export function registerByImageFrame(img: GreyImage, def: FormDefinition): Result {
  const t = fitHomography(pageCorners(def), [
    [0, 0],
    [img.width, 0],
    [img.width, img.height],
    [0, img.height],
  ]);
  if (!t) return { ok: false, failure: { reason: 'page-not-found', detail: 'empty image' } };
  return pageRegistration(t, def, 'image-frame', 0);
}

/** Otsu's split of a grey histogram: paper above it, the ground below. */
function otsu(img: GreyImage): number {
  const hist = new Float64Array(256);
  for (const v of img.data) hist[v]!++;
  const total = img.data.length;
  let sum = 0;
  for (let v = 0; v < 256; v++) sum += v * hist[v]!;
  let below = 0;
  let sumBelow = 0;
  let best = 0;
  let split = 128;
  for (let t = 0; t < 255; t++) {
    below += hist[t]!;
    sumBelow += t * hist[t]!;
    const above = total - below;
    if (below === 0 || above === 0) continue;
    const between = below * above * (sumBelow / below - (sum - sumBelow) / above) ** 2;
    if (between > best) {
      best = between;
      split = t;
    }
  }
  return split;
}

/** Extreme points along the diagonals: top left, top right, bottom right, bottom left. */
const DIAGONALS = [
  (x: number, y: number) => -x - y,
  (x: number, y: number) => x - y,
  (x: number, y: number) => x + y,
  (x: number, y: number) => -x + y,
];

/**
 * The rough outline of the sheet: of the 4-connected regions brighter than `split`, the one whose extreme
 * points (`DIAGONALS`, pixel centres) hold the largest area. Not the one of most pixels: a form ruled into
 * boxes is bright paper broken by lines, and a bright band elsewhere in the frame may outnumber its margin.
 */
function sheetOutline(img: GreyImage, split: number): Point[] {
  const { width, data } = img;
  const seen = new Uint8Array(data.length);
  // One buffer for every region's pixels, filled from the front.
  const region = new Int32Array(data.length);
  // Per region, each diagonal's extreme value and the pixel that holds it.
  const extreme = new Float64Array(DIAGONALS.length);
  const at = new Int32Array(DIAGONALS.length);
  let best: Point[] = [];
  let bestArea = -1;
  for (let start = 0; start < data.length; start++) {
    if (seen[start] || data[start]! <= split) continue;
    let n = 0;
    let next = 0;
    region[n++] = start;
    seen[start] = 1;
    extreme.fill(Number.NEGATIVE_INFINITY);
    while (next < n) {
      const i = region[next++]!;
      const x = i % width;
      const y = (i - x) / width;
      for (let k = 0; k < DIAGONALS.length; k++) {
        const v = DIAGONALS[k]!(x, y);
        if (v > extreme[k]!) {
          extreme[k] = v;
          at[k] = i;
        }
      }
      for (const j of [x > 0 ? i - 1 : -1, x < width - 1 ? i + 1 : -1, i - width, i + width]) {
        if (j < 0 || j >= data.length || seen[j] || data[j]! <= split) continue;
        seen[j] = 1;
        region[n++] = j;
      }
    }
    const corners = [...at].map((i): Point => [(i % width) + 0.5, Math.floor(i / width) + 0.5]);
    const area = quadArea(corners);
    if (area > bestArea) {
      best = corners;
      bestArea = area;
    }
  }
  return best;
}

/** Area of a quadrilateral given corner by corner (the shoelace formula). */
function quadArea(q: Point[]): number {
  let twice = 0;
  for (let i = 0; i < q.length; i++) {
    const [a, b] = [q[i]!, q[(i + 1) % q.length]!];
    twice += a[0] * b[1] - b[0] * a[1];
  }
  return Math.abs(twice) / 2;
}

function intersect(a: Line, b: Line): Point | null {
  const da = a.n[0] * a.c[0] + a.n[1] * a.c[1];
  const db = b.n[0] * b.c[0] + b.n[1] * b.c[1];
  const det = a.n[0] * b.n[1] - a.n[1] * b.n[0];
  if (Math.abs(det) < 1e-9) return null;
  return [(da * b.n[1] - db * a.n[1]) / det, (a.n[0] * db - b.n[0] * da) / det];
}

/**
 * Where the paper starts along a ray from outside the sheet inwards, px: the steepest rise in brightness
 * within `reach` of the rough edge, on the full-resolution image.
 */
function edgeAlong(img: GreyImage, p: Point, inward: Point, reach: number): Point | null {
  let best = 0;
  let at = Number.NaN;
  let prev = sampleBilinear(img, p[0] - inward[0] * reach, p[1] - inward[1] * reach);
  for (let s = -reach + 1; s <= reach; s++) {
    const v = sampleBilinear(img, p[0] + inward[0] * s, p[1] + inward[1] * s);
    if (v - prev > best) {
      best = v - prev;
      at = s - 0.5;
    }
    prev = v;
  }
  return best >= 12 ? [p[0] + inward[0] * at, p[1] + inward[1] * at] : null;
}

/**
 * The sheet's outline: the bright region of largest outline on a small copy (`sheetOutline`), then each edge
 * measured on the full image across its rough line and fitted by a straight line; the corners are where the
 * lines meet. Rejected when the sheet is too small, an edge cannot be found or is not straight.
 */
export function registerByPageEdges(img: GreyImage, def: FormDefinition): Result {
  const tol = PAGE_EDGE_TOLERANCE;
  const factor = Math.max(1, Math.round(Math.max(img.width, img.height) / tol.workLongSide));
  const small = factor === 1 ? img : thumbnail(img, factor);
  const rough = sheetOutline(small, otsu(small)).map(([x, y]): Point => [x * factor, y * factor]);
  // The sheet covers the area its outline holds, its print inside too.
  if (rough.length < 4 || quadArea(rough) < tol.minPageShare * img.width * img.height) {
    return {
      ok: false,
      failure: { reason: 'page-not-found', detail: 'no sheet brighter than its ground in the image' },
    };
  }
  const reach = Math.max(6, 3 * factor);
  const lines: Line[] = [];
  let worstPx = 0;
  const centre: Point = [rough.reduce((s, p) => s + p[0], 0) / 4, rough.reduce((s, p) => s + p[1], 0) / 4];
  for (let side = 0; side < 4; side++) {
    const a = rough[side]!;
    const b = rough[(side + 1) % 4]!;
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
    let inward: Point = [-(b[1] - a[1]) / len, (b[0] - a[0]) / len];
    const mid: Point = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
    if ((centre[0] - mid[0]) * inward[0] + (centre[1] - mid[1]) * inward[1] < 0)
      inward = [-inward[0], -inward[1]];
    const points: Point[] = [];
    for (let k = 0; k < tol.edgePoints; k++) {
      // Away from the corners, where the rough outline is rounded.
      const s = 0.08 + (0.84 * k) / (tol.edgePoints - 1);
      const found = edgeAlong(img, [a[0] + (b[0] - a[0]) * s, a[1] + (b[1] - a[1]) * s], inward, reach);
      if (found) points.push(found);
    }
    if (points.length < tol.edgePoints / 2) {
      return {
        ok: false,
        failure: {
          reason: 'page-not-found',
          detail: `edge ${side + 1} of the sheet not found (out of the image?)`,
        },
      };
    }
    let line = fitLine(points);
    const kept = [...points]
      .sort((p, q) => lineDistance(line, p) - lineDistance(line, q))
      .slice(0, Math.ceil(points.length * tol.keepShare));
    line = fitLine(kept);
    worstPx = Math.max(worstPx, ...kept.map((p) => lineDistance(line, p)));
    lines.push(line);
  }
  const corners = lines.map((l, i) => intersect(lines[(i + 3) % 4]!, l));
  if (corners.some((c) => c === null)) {
    return { ok: false, failure: { reason: 'page-not-found', detail: 'sheet edges do not meet' } };
  }
  const t = fitHomography(pageCorners(def), corners as Point[]);
  if (!t) return { ok: false, failure: { reason: 'page-not-found', detail: 'degenerate sheet outline' } };
  const result = pageRegistration(t, def, 'page-edges', 0);
  const residualMm = worstPx / (result.registration.dpi / MM_PER_INCH);
  if (residualMm > tol.maxResidualMm) {
    return {
      ok: false,
      failure: {
        reason: 'registration-residual',
        detail: `sheet edge off its line by ${residualMm.toFixed(2)} mm (over ${tol.maxResidualMm} mm): curled or folded`,
      },
    };
  }
  return { ...result, registration: { ...result.registration, residualMm } };
}
