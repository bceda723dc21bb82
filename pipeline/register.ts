/**
 * Registration: find the form's solid anchor squares, fit page-mm → image-px, and reject rather than guess when
 * the fit does not hold. Anchors are found on a ~60-dpi copy (cheap connected components), then each centre is
 * refined on the full-resolution image.
 */
import type { FormDefinition } from '../calibration/form-schema.ts';
import { darkComponents } from './components.ts';
import {
  applyHomography,
  fitAffine,
  fitHomography,
  type Matrix3,
  type Point,
  residuals,
} from './geometry.ts';
import { type GreyImage, percentile, thumbnail } from './image.ts';

const MM_PER_INCH = 25.4;
const WORK_DPI = 60;
/** How far around a mark's predicted place to look for it, mm. */
const MARK_SEARCH_MM = 1.2;

export const REGISTRATION_TOLERANCE = {
  /**
   * Largest residual accepted, mm. Tighter than the 0.5 mm the fields can bear: on the 1000-page bench every
   * page whose true error exceeded 0.5 mm (keystoned 2022 sheets, whose lower right has no anchor) had a
   * residual of 0.35-0.45 mm, and none at or under 0.3 mm did.
   */
  maxResidualMm: 0.3,
  /** Search radius around an anchor's predicted place during matching, mm. */
  matchRadiusMm: 6,
  /** Marks farther than this from the fit are outliers (dust on a bar, a stroke across it), mm. */
  markOutlierMm: 0.4,
  /** Marks found before they take part in the fit. */
  minMarks: 6,
} as const;

export interface AnchorCandidate {
  /** Centre in full-resolution image pixels. */
  x: number;
  y: number;
  /** Side in full-resolution pixels (mean of the bounding box sides). */
  side: number;
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
  model: 'homography' | 'affine' | 'homography+marks';
  orientation: Orientation;
  /** Largest anchor residual, mm. */
  residualMm: number;
  anchorsUsed: string[];
  /** Secondary marks that took part in the fit. */
  marksUsed: number;
  /** Image pixels per inch along the page, from the fit. */
  dpi: number;
}

export type RegistrationFailureReason = 'anchors-not-found' | 'registration-residual';

export interface RegistrationFailure {
  reason: RegistrationFailureReason;
  detail: string;
  /** Solid anchors matched, when some were. */
  matched?: number;
}

/** Candidate anchor squares on the page: solid, square-ish blobs of about the anchor's size. */
export function findAnchorCandidates(img: GreyImage, anchorMm = 5.08): CandidateSet {
  const longSideMm = 297;
  const dpiGuess = (Math.max(img.width, img.height) / longSideMm) * MM_PER_INCH;
  const factor = Math.max(1, Math.round(dpiGuess / WORK_DPI));
  const small = factor > 1 ? thumbnail(img, factor) : img;
  const paper = Math.max(percentile(small, 0.9), 60);
  const workDpi = dpiGuess / factor;
  // Scale is only a guess here (crop, zoom): accept a wide band of sizes and let matching decide.
  const side = (anchorMm / MM_PER_INCH) * workDpi;
  const candidates: AnchorCandidate[] = [];
  // Midway between paper and the page's darkest print: a faded, under-exposed scan keeps its anchors.
  const ink = percentile(small, 0.002, 1);
  for (const c of darkComponents(small, (paper + ink) / 2)) {
    const bw = c.x1 - c.x0 + 1;
    const bh = c.y1 - c.y0 + 1;
    if (Math.max(bw, bh) > side * 1.7 || Math.min(bw, bh) < side * 0.55) continue;
    if (bw / bh > 1.5 || bh / bw > 1.5) continue;
    if (c.n < 0.4 * side * side || c.n / (bw * bh) < 0.6) continue;
    candidates.push({
      x: (c.sx / c.n + 0.5) * factor,
      y: (c.sy / c.n + 0.5) * factor,
      side: ((bw + bh) / 2) * factor,
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
  let darkest = 255;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) darkest = Math.min(darkest, img.data[y * img.width + x]!);
  }
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

/** Centre of an anchor square around a coarse centre found on the thumbnail. */
function refineCentre(img: GreyImage, cx: number, cy: number, sidePx: number, paper: number): Point | null {
  const half = Math.ceil(sidePx * 0.75);
  // A solid square holds about side² of ink; an emblem printed over one (EGE 2022 BR) holds far less.
  const found = darkCentroid(
    img,
    { x0: cx - half, y0: cy - half, x1: cx + half, y1: cy + half },
    paper,
    sidePx * sidePx * 0.45,
  );
  return found?.centre ?? null;
}

/**
 * Where the form's small solid marks (EGE row-separator bars, replacement dashes) really are, predicted by a
 * first fit: each one found adds a registration point, so the final fit has many more points than anchors
 * and its residual means something even when an anchor is missing or the page is keystoned.
 */
function findMarks(
  img: GreyImage,
  def: FormDefinition,
  t: Matrix3,
  paper: number,
): { mm: Point; px: Point }[] {
  const found: { mm: Point; px: Point }[] = [];
  for (const m of def.marks) {
    const corners = [
      applyHomography(t, m.x - MARK_SEARCH_MM, m.y - MARK_SEARCH_MM),
      applyHomography(t, m.x + m.w + MARK_SEARCH_MM, m.y - MARK_SEARCH_MM),
      applyHomography(t, m.x - MARK_SEARCH_MM, m.y + m.h + MARK_SEARCH_MM),
      applyHomography(t, m.x + m.w + MARK_SEARCH_MM, m.y + m.h + MARK_SEARCH_MM),
    ];
    const xs = corners.map((c) => c[0]);
    const ys = corners.map((c) => c[1]);
    const [ax, ay] = applyHomography(t, 0, 0);
    const [bx, by] = applyHomography(t, 1, 0);
    const pxPerMm = Math.hypot(bx - ax, by - ay);
    const area = m.w * m.h * pxPerMm * pxPerMm;
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

const ROTATIONS: Record<Orientation, [number, number, number, number]> = {
  0: [1, 0, 0, 1],
  90: [0, -1, 1, 0],
  180: [-1, 0, 0, -1],
  270: [0, 1, -1, 0],
};

interface Hypothesis {
  orientation: Orientation;
  matches: { id: string; mm: Point; px: Point; side: number }[];
  error: number;
}

/** Best assignment of candidates to the definition's solid anchors, trying each page orientation. */
function matchAnchors(def: FormDefinition, set: CandidateSet): Hypothesis | null {
  const anchors = def.anchors
    .filter((a) => a.solid)
    .map((a) => ({ id: a.id, mm: [a.x + a.w / 2, a.y + a.h / 2] as Point }));
  if (anchors.length < 2 || set.candidates.length < 2) return null;
  /** Nearest candidate within the match radius of each anchor's predicted place. */
  const assign = (project: (p: Point) => Point, scale: number) => {
    const radius = REGISTRATION_TOLERANCE.matchRadiusMm * scale;
    const matches: Hypothesis['matches'] = [];
    let error = 0;
    for (const a of anchors) {
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
        matches.push({ id: a.id, mm: a.mm, px: [nearest.x, nearest.y], side: nearest.side });
        error += nd / scale;
      }
    }
    return { matches, error };
  };
  // The pair of anchors farthest apart fixes scale and angle best.
  let pa = anchors[0]!;
  let pb = anchors[1]!;
  for (const a of anchors) {
    for (const b of anchors) {
      if (
        Math.hypot(a.mm[0] - b.mm[0], a.mm[1] - b.mm[1]) >
        Math.hypot(pa.mm[0] - pb.mm[0], pa.mm[1] - pb.mm[1])
      ) {
        pa = a;
        pb = b;
      }
    }
  }
  const dmm = Math.hypot(pb.mm[0] - pa.mm[0], pb.mm[1] - pa.mm[1]);
  const angMm = Math.atan2(pb.mm[1] - pa.mm[1], pb.mm[0] - pa.mm[0]);
  const pxPerMmGuess = set.dpiGuess / MM_PER_INCH;
  const orientations: Orientation[] = [0, 180, 90, 270];
  let best: Hypothesis | null = null;
  for (const orientation of orientations) {
    const [r0, , r2] = ROTATIONS[orientation];
    const rot = Math.atan2(r2, r0);
    for (const c1 of set.candidates) {
      for (const c2 of set.candidates) {
        if (c1 === c2) continue;
        const dpx = Math.hypot(c2.x - c1.x, c2.y - c1.y);
        const scale = dpx / dmm;
        if (scale < pxPerMmGuess * 0.6 || scale > pxPerMmGuess * 1.6) continue;
        const theta = Math.atan2(c2.y - c1.y, c2.x - c1.x) - angMm;
        const dTheta = Math.atan2(Math.sin(theta - rot), Math.cos(theta - rot));
        if (Math.abs(dTheta) > (12 * Math.PI) / 180) continue;
        const cos = Math.cos(theta) * scale;
        const sin = Math.sin(theta) * scale;
        const project = (p: Point): Point => [
          c1.x + cos * (p[0] - pa.mm[0]) - sin * (p[1] - pa.mm[1]),
          c1.y + sin * (p[0] - pa.mm[0]) + cos * (p[1] - pa.mm[1]),
        ];
        const { matches, error } = assign(project, scale);
        if (
          !best ||
          matches.length > best.matches.length ||
          (matches.length === best.matches.length && error < best.error)
        ) {
          best = { orientation, matches, error };
        }
      }
    }
  }
  if (!best || best.matches.length < 3) return best;
  // A similarity from two anchors misplaces the others under perspective; predict again from a fit of what
  // matched (projective once four are in), so a keystoned page still finds all its anchors.
  const src = best.matches.map((m) => m.mm);
  const dst = best.matches.map((m) => m.px);
  const fit = best.matches.length >= 4 ? fitHomography(src, dst) : fitAffine(src, dst);
  if (!fit) return best;
  const scale = Math.sqrt(Math.abs(fit[0] * fit[4] - fit[1] * fit[3]));
  const again = assign((p) => applyHomography(fit, p[0], p[1]), scale);
  return again.matches.length > best.matches.length ? { ...best, ...again } : best;
}

export function register(
  img: GreyImage,
  def: FormDefinition,
  set: CandidateSet,
): { ok: true; registration: Registration } | { ok: false; failure: RegistrationFailure } {
  const solid = def.anchors.filter((a) => a.solid).length;
  const hyp = matchAnchors(def, set);
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
    px: refineCentre(img, m.px[0], m.px[1], m.side, set.paper),
  }));
  const usable = refined.filter((m): m is typeof m & { px: Point } => m.px !== null);
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
  const scaleOf = (m: Matrix3) => {
    const [ax, ay] = applyHomography(m, 0, 0);
    const [bx, by] = applyHomography(m, def.page.width, 0);
    return Math.hypot(bx - ax, by - ay) / def.page.width;
  };
  let marksUsed = 0;
  if (def.marks.length > 0) {
    let marks = findMarks(img, def, transform, set.paper);
    for (let pass = 0; pass < 2 && marks.length >= REGISTRATION_TOLERANCE.minMarks; pass++) {
      const all = fitHomography([...src, ...marks.map((m) => m.mm)], [...dst, ...marks.map((m) => m.px)]);
      if (!all) break;
      const limit = REGISTRATION_TOLERANCE.markOutlierMm * scaleOf(all);
      const kept = marks.filter((m) => residuals(all, [m.mm], [m.px])[0]! <= limit);
      if (pass === 1 || kept.length === marks.length) {
        src = [...src, ...kept.map((m) => m.mm)];
        dst = [...dst, ...kept.map((m) => m.px)];
        transform = fitHomography(src, dst) ?? all;
        model = 'homography+marks';
        marksUsed = kept.length;
        break;
      }
      marks = kept;
    }
  }
  const pxPerMm = scaleOf(transform);
  const residualMm = Math.max(...residuals(transform, src, dst)) / pxPerMm;
  if (residualMm > REGISTRATION_TOLERANCE.maxResidualMm) {
    return {
      ok: false,
      failure: {
        reason: 'registration-residual',
        detail: `anchor residual ${residualMm.toFixed(2)} mm exceeds ${REGISTRATION_TOLERANCE.maxResidualMm} mm`,
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
      anchorsUsed: usable.map((m) => m.id),
      marksUsed,
      dpi: pxPerMm * MM_PER_INCH,
    },
  };
}
