/**
 * Registration: find the form's solid anchor squares, fit page-mm → image-px, and reject rather than guess when
 * the fit does not hold. Anchors are found on a ~60-dpi copy (cheap connected components), then each centre is
 * refined on the full-resolution image.
 */
import {
  type Anchor,
  anchorCentre,
  anchorCovers,
  anchorInkShare,
  anchorQuarter,
  type FormDefinition,
  RINGS,
} from '../forms/schema.ts';
import { darkComponents } from './components.ts';
import {
  applyHomography,
  fitAffine,
  fitHomography,
  type Matrix3,
  type Point,
  residuals,
} from './geometry.ts';
import { centreThumbnail, type GreyImage, percentile, thumbnail } from './image.ts';
import { registerByImageFrame, registerByPageEdges } from './register-page.ts';
import { registerByTimingTracks } from './register-tracks.ts';

const MM_PER_INCH = 25.4;
const WORK_DPI = 60;
/** How far around a mark's predicted place to look for it, mm. */
const MARK_SEARCH_MM = 1.2;
/** Share of a search window's pixels darker than its ink level: a mark fills more of its window. */
const INK_LEVEL_PERCENTILE = 0.04;
/** Searches for the marks, each from the previous fit. */
const MARK_PASSES = 3;

export const REGISTRATION_TOLERANCE = {
  /**
   * Largest residual accepted, mm, over the anchors and the marks kept. Tighter than the 0.5 mm the fields
   * can bear: a fit whose points disagree by more has something wrong that the residual cannot show (on the
   * 1000-page bench, pages fitted from four anchors alone were off by up to 1.1 mm with 0.35-0.45 mm
   * residuals; every page registered now is within 0.26 mm of the truth).
   */
  maxResidualMm: 0.3,
  /**
   * ... or this many of the scan's pixels, where that is more, up to `maxCoarseResidualMm`: a mark's centre is
   * found to a fraction of a pixel, so at 78 dpi (0.33 mm a pixel) a sound fit's points can disagree by 0.3 mm.
   */
  maxResidualPx: 1,
  /** Never more than this, however coarse the scan: the fields bear 0.5 mm. */
  maxCoarseResidualMm: 0.45,
  /**
   * Corner marks (`corner-marks`), fitted by an affine map: a scan's skew and a light keystone leave up to a
   * millimetre at four marks that such a map cannot follow, and each bubble block is then found again within
   * its window (`bubbleAlign`).
   */
  maxCornerMarksResidualMm: 1,
  /**
   * Beyond it a photo's keystone is followed by the perspective map through the four marks, up to this share
   * of the distance between opposite marks: a sheet photographed up to about 20° off square-on from 40 cm
   * (its 297 x 241 mm span's affine fit is off by 16 mm there, by 4 at 5°). Four points leave nothing over to
   * check that map by: each bubble block does, found within its window or doubted.
   */
  maxKeystoneShare: 0.04,
  /** Search radius around an anchor's predicted place during matching, mm. */
  matchRadiusMm: 6,
  /** Marks farther than this from the fit are outliers (dust on a bar, a stroke across it), mm. */
  markOutlierMm: 0.2,
  /**
   * An anchor whose core is lighter than this share of the page's typical anchor core is not solid: on the
   * bench the 2022 emblem measured at most 0.81, solid squares at least 0.95. Each core is measured against
   * the ink its own shape puts there (an L mark's core is partly paper).
   */
  solidCoreShare: 0.9,
  /** Share of the marks found that must agree with the anchors for the marks to take part. */
  minMarkAgreement: 0.6,
  /** Marks found before they take part in the fit. */
  minMarks: 6,
} as const;

/** The largest anchor residual accepted on a scan of `pxPerMm` (REGISTRATION_TOLERANCE). */
export function residualToleranceMm(pxPerMm: number): number {
  const { maxResidualMm, maxResidualPx, maxCoarseResidualMm } = REGISTRATION_TOLERANCE;
  return Math.min(maxCoarseResidualMm, Math.max(maxResidualMm, maxResidualPx / pxPerMm));
}

export interface AnchorCandidate {
  /** Centre in full-resolution image pixels. */
  x: number;
  y: number;
  /** Side in full-resolution pixels (mean of the bounding box sides). */
  side: number;
  /** Bounding box in full-resolution pixels. */
  w: number;
  h: number;
}

export interface CandidateSet {
  candidates: AnchorCandidate[];
  /** Paper grey level of the page. */
  paper: number;
  /** Resolution guessed from the image size, assuming it holds about one A4 page. */
  dpiGuess: number;
}

export type Orientation = 0 | 90 | 180 | 270;

export interface Registration {
  /** Page millimetres → image pixels. */
  transform: Matrix3;
  model: 'homography' | 'affine' | 'homography+marks' | 'page-edges' | 'image-frame' | 'timing-tracks';
  orientation: Orientation;
  /** Largest anchor residual, mm. */
  residualMm: number;
  anchorsUsed: string[];
  /** Secondary marks that took part in the fit. */
  marksUsed: number;
  /** Image pixels per inch along the page, from the fit. */
  dpi: number;
}

export type RegistrationFailureReason = 'anchors-not-found' | 'registration-residual' | 'page-not-found';

export interface RegistrationFailure {
  reason: RegistrationFailureReason;
  detail: string;
  /** Solid anchors matched, when some were. */
  matched?: number;
}

/**
 * The page's registration by the method its form declares: its anchors, or (forms without marks) the sheet's
 * outline or the image frame.
 */
export function registerForm(
  img: GreyImage,
  def: FormDefinition,
  set: CandidateSet | null,
): RegistrationResult {
  if (def.registration === 'page-edges') return registerByPageEdges(img, def);
  if (def.registration === 'image-frame') return registerByImageFrame(img, def);
  if (def.registration === 'timing-tracks') return registerByTimingTracks(img, def);
  if (def.registration === 'corner-marks') {
    // A photo's sheet may fill only part of the frame, its marks smaller than the frame suggests: they are
    // looked for as the frame's, then as half and a quarter of its size.
    let first: RegistrationResult | undefined;
    for (const share of [1, 0.5, 0.25]) {
      const r = register(img, def, findAnchorCandidates(img, [def], share), matchCornerMarks(img));
      if (r.ok) return r;
      first ??= r;
    }
    return first!;
  }
  return register(img, def, set ?? findAnchorCandidates(img, [def]));
}

export type RegistrationResult =
  | { ok: true; registration: Registration }
  | { ok: false; failure: RegistrationFailure };

/** The 5.08 mm square of the shipped forms: what is looked for when no form is named. */
const DEFAULT_ANCHOR: Anchor = { id: 'default', x: 0, y: 0, w: 5.08, h: 5.08, solid: true, shape: 'square' };

/** An anchor's size and ink as a blob on the page, whichever way up: long and short side, mm, and ink share. */
function blobOf(a: Anchor): { long: number; short: number; share: number } {
  // Rings that come apart at the scan's resolution leave the outer one as the mark's blob.
  const [inner] = RINGS[RINGS.length - 1]!;
  const share = a.shape === 'rings' ? (Math.PI / 4) * (1 - inner ** 2) : anchorInkShare(a);
  return { long: Math.max(a.w, a.h), short: Math.min(a.w, a.h), share };
}

/**
 * Candidate anchors on the page: solid blobs of about the size and fill of one of the given forms' solid
 * anchors (a 5.08 mm square when none is given).
 */
export function findAnchorCandidates(
  img: GreyImage,
  forms: readonly FormDefinition[] = [],
  /** How much of the frame's long side the page is guessed to take (a photo's sheet may fill part of it). */
  pageShare = 1,
): CandidateSet {
  const longSideMm = 297;
  const dpiGuess = ((Math.max(img.width, img.height) * pageShare) / longSideMm) * MM_PER_INCH;
  const factor = Math.max(1, Math.round(dpiGuess / WORK_DPI));
  const anchors = forms.flatMap((f) => f.anchors.filter((a) => a.solid));
  // Block means find thin and dithered marks; solid squares (every shipped EGE form) are found as well from
  // centre samples at a fifth of the cost, so the means are taken only when a candidate form needs them.
  const squaresOnly = anchors.every((a) => a.shape === 'square');
  const centres = factor === 1 ? img : centreThumbnail(img, factor);
  const small = squaresOnly || factor === 1 ? centres : thumbnail(img, factor);
  // The paper level as it always was, from the centre samples: block means, being less noisy, put it a level
  // or two lower on a noisy scan, and every refined centre depends on it.
  const paper = Math.max(percentile(centres, 0.9), 60);
  const workPxPerMm = dpiGuess / factor / MM_PER_INCH;
  const kinds = new Map<string, ReturnType<typeof blobOf>>();
  for (const a of anchors.length > 0 ? anchors : [DEFAULT_ANCHOR]) {
    const b = blobOf(a);
    kinds.set(`${b.long}x${b.short}:${b.share.toFixed(3)}`, b);
  }
  // Scale is only a guess here (crop, zoom): accept a wide band of sizes and let matching decide.
  const fits = (bw: number, bh: number, n: number) => {
    const long = Math.max(bw, bh);
    const short = Math.min(bw, bh);
    for (const k of kinds.values()) {
      const l = k.long * workPxPerMm;
      const s = k.short * workPxPerMm;
      if (long > l * 1.7 || short < s * 0.55) continue;
      if (long / short > (l / s) * 1.5 || long / short < l / s / 1.5) continue;
      if (n < 0.4 * k.share * l * s || n / (bw * bh) < 0.6 * k.share) continue;
      return true;
    }
    return false;
  };
  const candidates: AnchorCandidate[] = [];
  // Midway between paper and the page's darkest print: a faded, under-exposed scan keeps its anchors.
  const ink = percentile(small, 0.002, 1);
  for (const c of darkComponents(small, (paper + ink) / 2)) {
    const bw = c.x1 - c.x0 + 1;
    const bh = c.y1 - c.y0 + 1;
    if (!fits(bw, bh, c.n)) continue;
    candidates.push({
      x: (c.sx / c.n + 0.5) * factor,
      y: (c.sy / c.n + 0.5) * factor,
      side: ((bw + bh) / 2) * factor,
      w: bw * factor,
      h: bh * factor,
    });
  }
  return { candidates, paper, dpiGuess };
}

/**
 * Sub-pixel centre of the dark blob in a window of the full-resolution image, weighted by darkness so the
 * anti-aliased edge counts by how much of it is ink; null when the window holds less ink than `minInk` px.
 */
function darkCentroid(
  img: GreyImage,
  window: { x0: number; y0: number; x1: number; y1: number },
  paper: number,
  minInk: number,
): { centre: Point; ink: number } | null {
  const x0 = Math.max(0, Math.round(window.x0));
  const y0 = Math.max(0, Math.round(window.y0));
  const x1 = Math.min(img.width - 1, Math.round(window.x1));
  const y1 = Math.min(img.height - 1, Math.round(window.y1));
  // The ink level is a low percentile, not the minimum: a black dust speck in the window would otherwise set
  // it, and a grey, under-exposed square would weigh too little to count as ink.
  const histogram = new Uint32Array(256);
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) histogram[img.data[y * img.width + x]!]!++;
  }
  const inkRank = Math.max(1, (x1 - x0 + 1) * (y1 - y0 + 1) * INK_LEVEL_PERCENTILE);
  let darkest = 0;
  for (let seen = histogram[0]!; seen < inkRank; ) seen += histogram[++darkest]!;
  const threshold = (darkest + paper) / 2;
  let sw = 0;
  let sx = 0;
  let sy = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const v = img.data[y * img.width + x]!;
      if (v >= threshold) continue;
      const w = Math.min(1, (paper - v) / (paper - darkest + 1e-6));
      sw += w;
      sx += w * (x + 0.5);
      sy += w * (y + 0.5);
    }
  }
  if (sw < minInk || paper - darkest < 40) return null;
  return { centre: [sx / sw, sy / sw], ink: sw };
}

/** Half the side of an anchor's core, as a share of the mark's mean side. */
const CORE_HALF = 0.3;

/** Mean darkness (paper minus grey) of an anchor's core: the central 60% of its bounding square. */
function coreDarkness(img: GreyImage, centre: Point, sidePx: number, paper: number): number {
  const half = sidePx * CORE_HALF;
  let sum = 0;
  let n = 0;
  for (let y = Math.round(centre[1] - half); y <= Math.round(centre[1] + half); y++) {
    for (let x = Math.round(centre[0] - half); x <= Math.round(centre[0] + half); x++) {
      if (x < 0 || y < 0 || x >= img.width || y >= img.height) continue;
      sum += paper - img.data[y * img.width + x]!;
      n++;
    }
  }
  return n > 0 ? sum / n : 0;
}

/** Per anchor of a parsed definition: every page registered against it asks again. */
const coreInkShares = new WeakMap<Anchor, number>();

/**
 * Share of an anchor's core (as `coreDarkness` takes it, around the centre of its ink) that its shape inks:
 * 1 for a square or a circle, less for an L, whose core takes in part of the paper between its arms.
 */
function coreInkShare(a: Anchor): number {
  const known = coreInkShares.get(a);
  if (known !== undefined) return known;
  const [cx, cy] = anchorCentre(a);
  const half = ((a.w + a.h) / 2) * CORE_HALF;
  const steps = 40;
  let inked = 0;
  for (let i = 0; i < steps; i++) {
    for (let j = 0; j < steps; j++) {
      const x = cx - half + ((i + 0.5) / steps) * 2 * half;
      const y = cy - half + ((j + 0.5) / steps) * 2 * half;
      if (anchorCovers(a, x, y)) inked++;
    }
  }
  coreInkShares.set(a, inked / steps ** 2);
  return inked / steps ** 2;
}

/** Centre of an anchor's ink around a coarse centre found on the thumbnail. */
function refineCentre(img: GreyImage, c: AnchorCandidate, a: Anchor, paper: number): Point | null {
  const halfX = Math.ceil(c.w * 0.75);
  const halfY = Math.ceil(c.h * 0.75);
  // A solid anchor holds about its own area of ink; an emblem printed over one (EGE 2022 BR) holds far less.
  const found = darkCentroid(
    img,
    { x0: c.x - halfX, y0: c.y - halfY, x1: c.x + halfX, y1: c.y + halfY },
    paper,
    c.w * c.h * anchorInkShare(a) * 0.45,
  );
  return found?.centre ?? null;
}

/**
 * Where the form's small solid marks (EGE row-separator bars, replacement dashes) really are, predicted by a
 * first fit: each one found adds a registration point, so the final fit has many more points than anchors
 * and its residual means something even when an anchor is missing or the page is keystoned.
 */
function findMarks(img: GreyImage, def: FormDefinition, t: Matrix3, paper: number): MarkPoint[] {
  const found: MarkPoint[] = [];
  const pxPerMm = pxPerMmOf(t);
  for (const m of def.marks) {
    const corners = [
      applyHomography(t, m.x - MARK_SEARCH_MM, m.y - MARK_SEARCH_MM),
      applyHomography(t, m.x + m.w + MARK_SEARCH_MM, m.y - MARK_SEARCH_MM),
      applyHomography(t, m.x - MARK_SEARCH_MM, m.y + m.h + MARK_SEARCH_MM),
      applyHomography(t, m.x + m.w + MARK_SEARCH_MM, m.y + m.h + MARK_SEARCH_MM),
    ];
    const xs = corners.map((c) => c[0]);
    const ys = corners.map((c) => c[1]);
    const area = m.w * m.h * pxPerMm ** 2;
    const hit = darkCentroid(
      img,
      { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) },
      paper,
      area * 0.3,
    );
    // More ink than the mark holds means something else is in the window (handwriting, dust): skip it.
    if (hit && hit.ink < area * 1.8) found.push({ mm: [m.x + m.w / 2, m.y + m.h / 2], px: hit.centre });
  }
  return found;
}

/** The distance between the farthest two marks, mm: their quadrilateral's longer diagonal, in any order. */
function spanMm(points: Point[]): number {
  let span = 0;
  for (const [i, a] of points.entries())
    for (const b of points.slice(i + 1)) span = Math.max(span, Math.hypot(b[0] - a[0], b[1] - a[1]));
  return span;
}

/** Image pixels per page millimetre near the page origin. */
function pxPerMmOf(m: Matrix3): number {
  const [ax, ay] = applyHomography(m, 0, 0);
  const [bx, by] = applyHomography(m, 1, 0);
  return Math.hypot(bx - ax, by - ay);
}

type MarkPoint = { mm: Point; px: Point };

/**
 * Fit of anchors plus marks, dropping the worst-fitting mark one at a time until every mark left is within
 * limitMm; anchors are never dropped, so they stay the reference the marks must agree with.
 */
function fitDroppingOutliers(
  src: Point[],
  dst: Point[],
  marks: MarkPoint[],
  limitMm: number,
): { transform: Matrix3; marks: MarkPoint[] } | null {
  let kept = marks;
  while (kept.length >= REGISTRATION_TOLERANCE.minMarks) {
    const t = fitHomography([...src, ...kept.map((m) => m.mm)], [...dst, ...kept.map((m) => m.px)]);
    if (!t) return null;
    const r = residuals(
      t,
      kept.map((m) => m.mm),
      kept.map((m) => m.px),
    );
    let worst = 0;
    for (let i = 1; i < r.length; i++) if (r[i]! > r[worst]!) worst = i;
    if (r[worst]! <= limitMm * pxPerMmOf(t)) return { transform: t, marks: kept };
    kept = kept.filter((_, i) => i !== worst);
  }
  return null;
}

/**
 * Anchors plus the marks they predict, searched again from each better fit: a first fit from four anchors is
 * affine and misplaces a keystoned page's marks by a millimetre or more, so its search windows catch part of
 * a mark or a stroke beside it. The outlier limit halves each pass, down to markOutlierMm on the last.
 */
function fitWithMarks(
  img: GreyImage,
  def: FormDefinition,
  paper: number,
  src: Point[],
  dst: Point[],
  start: Matrix3,
): { transform: Matrix3; marks: MarkPoint[] } | null {
  let best: { transform: Matrix3; marks: MarkPoint[] } | null = null;
  let transform = start;
  for (let pass = 0; pass < MARK_PASSES; pass++) {
    const found = findMarks(img, def, transform, paper);
    const limitMm = REGISTRATION_TOLERANCE.markOutlierMm * 2 ** (MARK_PASSES - 1 - pass);
    const fit = fitDroppingOutliers(src, dst, found, limitMm);
    // Most marks must agree with the anchors; a fit that keeps only a few has explained the page away.
    if (!fit || fit.marks.length < found.length * REGISTRATION_TOLERANCE.minMarkAgreement) return null;
    best = fit;
    transform = fit.transform;
  }
  return best;
}

interface Hypothesis {
  orientation: Orientation;
  matches: { anchor: Anchor; mm: Point; candidate: AnchorCandidate }[];
  error: number;
}

/** Best assignment of candidates to the definition's solid anchors, trying each page orientation. */
function matchAnchors(def: FormDefinition, set: CandidateSet): Hypothesis | null {
  const anchors = def.anchors.filter((a) => a.solid).map((a) => ({ anchor: a, mm: anchorCentre(a) }));
  if (anchors.length < 2 || set.candidates.length < 2) return null;
  /** Nearest candidate within the match radius of each anchor's predicted place. */
  /** Null as soon as fewer than `atLeast` anchors can still match: most hypotheses are abandoned early. */
  const assign = (project: (p: Point) => Point, scale: number, atLeast = 0) => {
    const radius = REGISTRATION_TOLERANCE.matchRadiusMm * scale;
    const matches: Hypothesis['matches'] = [];
    let error = 0;
    for (const [i, a] of anchors.entries()) {
      if (matches.length + anchors.length - i < atLeast) return null;
      const [px, py] = project(a.mm);
      let nearest: AnchorCandidate | null = null;
      let nd = radius;
      for (const c of set.candidates) {
        const d = Math.hypot(c.x - px, c.y - py);
        if (d < nd) {
          nd = d;
          nearest = c;
        }
      }
      if (nearest) {
        matches.push({ anchor: a.anchor, mm: a.mm, candidate: nearest });
        error += nd / scale;
      }
    }
    return { matches, error };
  };
  // Two anchors fix scale and angle, the farther apart the better. When the page hides one of the farthest
  // pair (a streak across it, a fold), the farthest pair without that anchor still finds the rest.
  const distance = (a: (typeof anchors)[number], b: (typeof anchors)[number]) =>
    Math.hypot(b.mm[0] - a.mm[0], b.mm[1] - a.mm[1]);
  const farthest = (pool: typeof anchors) => {
    let pair: [(typeof anchors)[number], (typeof anchors)[number]] | null = null;
    for (const [i, a] of pool.entries()) {
      for (const b of pool.slice(i + 1)) if (!pair || distance(a, b) > distance(...pair)) pair = [a, b];
    }
    return pair;
  };
  const first = farthest(anchors)!;
  const pairs = [
    first,
    farthest(anchors.filter((a) => a !== first[0])),
    farthest(anchors.filter((a) => a !== first[1])),
  ];
  const pxPerMmGuess = set.dpiGuess / MM_PER_INCH;
  const maxTilt = (12 * Math.PI) / 180;
  let best: Hypothesis | null = null;
  for (const pair of pairs) {
    if (!pair || best?.matches.length === anchors.length) break;
    const [pa, pb] = pair;
    const dmm = distance(pa, pb);
    const angMm = Math.atan2(pb.mm[1] - pa.mm[1], pb.mm[0] - pa.mm[0]);
    for (const c1 of set.candidates) {
      for (const c2 of set.candidates) {
        if (c1 === c2) continue;
        const scale = Math.hypot(c2.x - c1.x, c2.y - c1.y) / dmm;
        if (scale < pxPerMmGuess * 0.6 || scale > pxPerMmGuess * 1.6) continue;
        const theta = Math.atan2(c2.y - c1.y, c2.x - c1.x) - angMm;
        // The page lies within a few degrees of one of the four orientations, or this pair is not it.
        const quarter = Math.round(theta / (Math.PI / 2));
        if (Math.abs(theta - (quarter * Math.PI) / 2) > maxTilt) continue;
        const orientation = ((((quarter % 4) + 4) % 4) * 90) as Orientation;
        const cos = Math.cos(theta) * scale;
        const sin = Math.sin(theta) * scale;
        const found = assign(
          (p) => [
            c1.x + cos * (p[0] - pa.mm[0]) - sin * (p[1] - pa.mm[1]),
            c1.y + sin * (p[0] - pa.mm[0]) + cos * (p[1] - pa.mm[1]),
          ],
          scale,
          best?.matches.length,
        );
        if (!found) continue;
        if (
          !best ||
          found.matches.length > best.matches.length ||
          (found.matches.length === best.matches.length && found.error < best.error)
        ) {
          best = { orientation, ...found };
        }
      }
    }
  }
  if (!best || best.matches.length < 3) return best;
  // A similarity from two anchors misplaces the others under perspective; predict again from a fit of what
  // matched (projective once four are in), so a keystoned page still finds all its anchors.
  const src = best.matches.map((m) => m.mm);
  const dst = best.matches.map((m): Point => [m.candidate.x, m.candidate.y]);
  const fit = best.matches.length >= 4 ? fitHomography(src, dst) : fitAffine(src, dst);
  if (!fit) return best;
  const scale = Math.sqrt(Math.abs(fit[0] * fit[4] - fit[1] * fit[3]));
  const again = assign((p) => applyHomography(fit, p[0], p[1]), scale, best.matches.length + 1);
  return again ? { ...best, ...again } : best;
}

/**
 * Corner marks (`corner-marks`): in each quarter of the image the candidate nearest its corner is the anchor
 * of that quarter of the page, upright, as OMRChecker looks for its markers. Rings inside one another are
 * one mark: the nearest is the outermost, and its centre is the mark's.
 */
function matchCornerMarks(img: GreyImage): (def: FormDefinition, set: CandidateSet) => Hypothesis | null {
  return (def, set) => {
    const inside = (c: AnchorCandidate, o: AnchorCandidate) =>
      o !== c && o.w * o.h > c.w * c.h && Math.abs(c.x - o.x) < o.w / 2 && Math.abs(c.y - o.y) < o.h / 2;
    const outer = set.candidates.filter((c) => !set.candidates.some((o) => inside(c, o)));
    const matches: Hypothesis['matches'] = [];
    for (const anchor of def.anchors.filter((a) => a.solid)) {
      const quarter = anchorQuarter(def, anchor);
      const right = quarter.endsWith('r');
      const bottom = quarter.startsWith('b');
      const corner: Point = [right ? img.width : 0, bottom ? img.height : 0];
      let nearest: AnchorCandidate | null = null;
      for (const c of outer) {
        if (c.x >= img.width / 2 !== right || c.y >= img.height / 2 !== bottom) continue;
        const d = Math.hypot(c.x - corner[0], c.y - corner[1]);
        if (!nearest || d < Math.hypot(nearest.x - corner[0], nearest.y - corner[1])) nearest = c;
      }
      if (nearest) matches.push({ anchor, mm: anchorCentre(anchor), candidate: nearest });
    }
    return { orientation: 0, matches, error: 0 };
  };
}

export function register(
  img: GreyImage,
  def: FormDefinition,
  set: CandidateSet,
  match: (def: FormDefinition, set: CandidateSet) => Hypothesis | null = matchAnchors,
): RegistrationResult {
  const solid = def.anchors.filter((a) => a.solid).length;
  const hyp = match(def, set);
  if (!hyp || hyp.matches.length < 4) {
    return {
      ok: false,
      failure: {
        reason: 'anchors-not-found',
        detail: `found ${hyp?.matches.length ?? 0} of ${solid} anchors; at least 4 are needed to check a fit`,
        matched: hyp?.matches.length ?? 0,
      },
    };
  }
  const refined = hyp.matches.map((m) => ({
    ...m,
    px: refineCentre(img, m.candidate, m.anchor, set.paper),
  }));
  const located = refined.filter((m): m is typeof m & { px: Point } => m.px !== null);
  // A solid anchor is as dark inside as the page's other anchors; an emblem printed over the square (EGE 2022
  // BR) is lighter, and taking it for a solid anchor would also take a 2022 sheet for the 2023 edition. Corner
  // marks are told by their quarter of the page, and a bullseye's core is half paper, lighter as it blurs.
  const cores = located.map(
    (m) => coreDarkness(img, m.px, m.candidate.side, set.paper) / coreInkShare(m.anchor),
  );
  const typical = [...cores].sort((a, b) => a - b)[Math.floor(cores.length / 2)] ?? 0;
  const usable =
    def.registration === 'corner-marks'
      ? located
      : located.filter((_, i) => cores[i]! >= typical * REGISTRATION_TOLERANCE.solidCoreShare);
  if (usable.length < 4) {
    return {
      ok: false,
      failure: {
        reason: 'anchors-not-found',
        detail: 'anchor squares too faint to locate',
        matched: usable.length,
      },
    };
  }
  let src: Point[] = usable.map((m) => m.mm);
  let dst: Point[] = usable.map((m) => m.px);
  // A homography needs a fifth point before its residual says anything; with four, fit an affine map.
  let model: Registration['model'] = usable.length >= 5 ? 'homography' : 'affine';
  let transform = model === 'homography' ? fitHomography(src, dst) : fitAffine(src, dst);
  if (!transform)
    return { ok: false, failure: { reason: 'anchors-not-found', detail: 'degenerate anchor layout' } };
  let marksUsed = 0;
  if (def.marks.length > 0) {
    const withMarks = fitWithMarks(img, def, set.paper, src, dst, transform);
    if (withMarks) {
      src = [...src, ...withMarks.marks.map((m) => m.mm)];
      dst = [...dst, ...withMarks.marks.map((m) => m.px)];
      transform = withMarks.transform;
      model = 'homography+marks';
      marksUsed = withMarks.marks.length;
    }
  }
  const pxPerMm = pxPerMmOf(transform);
  const residualMm = Math.max(...residuals(transform, src, dst)) / pxPerMm;
  const tolerance =
    def.registration === 'corner-marks'
      ? REGISTRATION_TOLERANCE.maxCornerMarksResidualMm
      : residualToleranceMm(pxPerMm);
  // A photo's keystone that an affine map of four corner marks cannot follow: the perspective map through the
  // four, OMRChecker's own warp. The bubble blocks check it (each found in its window, and which way is up,
  // way-up.ts).
  const keystone =
    def.registration === 'corner-marks' &&
    usable.length === 4 &&
    residualMm > tolerance &&
    residualMm <= REGISTRATION_TOLERANCE.maxKeystoneShare * spanMm(src)
      ? fitHomography(src, dst)
      : null;
  if (keystone) {
    transform = keystone;
    model = 'homography';
  } else if (residualMm > tolerance) {
    return {
      ok: false,
      failure: {
        reason: 'registration-residual',
        detail: `anchor residual ${residualMm.toFixed(2)} mm exceeds ${tolerance.toFixed(2)} mm`,
        matched: usable.length,
      },
    };
  }
  return {
    ok: true,
    registration: {
      transform,
      model,
      orientation: hyp.orientation,
      residualMm,
      anchorsUsed: usable.map((m) => m.anchor.id),
      marksUsed,
      dpi: pxPerMm * MM_PER_INCH,
    },
  };
}
