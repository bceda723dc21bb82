/**
 * Registration by timing tracks (`timing-tracks`): two columns of short dashes down the page's sides, as on
 * OMRChecker's TWO_LINES sheets. Each track is found as the longest column of alike dashes in its half of the
 * image, its outer edge fitted by a line through the dashes' outer ends; the line's ends (where the first dash
 * starts and the last one ends) are four points, mapped onto the form's tracks by a perspective map. Nothing is
 * left over to check that map, so the tracks check themselves (their dash counts, the straightness of their
 * edges) and the bubble blocks check the rest (pipeline/way-up.ts).
 */
import { cornerPoints, type FormDefinition, type Track } from '../forms/schema.ts';
import { type Component, darkComponents } from './components.ts';
import {
  axesAt,
  fitHomography,
  fitLine,
  type Line,
  lineDistance,
  type Matrix3,
  type Point,
} from './geometry.ts';
import { type GreyImage, percentile, thumbnail } from './image.ts';
import type { Registration, RegistrationFailure } from './register.ts';
import { pageRegistration } from './register-page.ts';

export const TRACK_TOLERANCE = {
  /** Long side of the copy the dashes are looked for on, px: a 300-dpi A4 scan's dashes keep 5 px or more. */
  workLongSide: 1600,
  /**
   * Ink levels tried in turn, each a share of the way from the paper down to the page's darkest print: a track
   * out of a photo's focus is grey, and at a level dark enough for it a sharp one's dashes may run together.
   */
  inkShares: [0.35, 0.25, 0.5],
  /** A dash is at least this many times as long as it is thick, and fills this share of its box. */
  minElongation: 1.8,
  minFill: 0.5,
  /** Fewest dashes taken for a track: fewer in a column are print, not a track. */
  minDashes: 8,
  /** Largest tilt of a track from the image's vertical (dx / dy): a photo taken askew. */
  maxSlope: 0.35,
  /** Largest distance of a dash's outer end from its track's edge line, mm: beyond it the sheet is curled. */
  maxResidualMm: 1.5,
} as const;

type Result = { ok: true; registration: Registration } | { ok: false; failure: RegistrationFailure };

interface Dash {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  cx: number;
  cy: number;
  /** Length across the track and thickness along it, px. */
  long: number;
  thick: number;
}

function dashOf(c: Component): Dash | null {
  const w = c.x1 - c.x0 + 1;
  const h = c.y1 - c.y0 + 1;
  const tol = TRACK_TOLERANCE;
  if (h < 2 || w < tol.minElongation * h || c.n < tol.minFill * w * h) return null;
  return {
    x0: c.x0,
    x1: c.x1 + 1,
    y0: c.y0,
    y1: c.y1 + 1,
    cx: c.sx / c.n + 0.5,
    cy: c.sy / c.n + 0.5,
    long: w,
    thick: c.n / w,
  };
}

const alike = (a: Dash, b: Dash) => Math.max(a.long, b.long) / Math.min(a.long, b.long) <= 1.4;

/**
 * Runs of dashes one under the next: each dash is linked to the nearest alike dash below it, within a few of
 * its thicknesses and under its middle.
 */
function runs(dashes: Dash[]): Dash[][] {
  const sorted = [...dashes].sort((a, b) => a.cy - b.cy);
  const next = new Map<Dash, Dash>();
  const linked = new Set<Dash>();
  sorted.forEach((a, i) => {
    let best: Dash | null = null;
    for (let j = i + 1; j < sorted.length; j++) {
      const b = sorted[j]!;
      const dy = b.cy - a.cy;
      if (dy > 4 * Math.max(a.thick, b.thick) + 2) break;
      if (dy < 0.8 * Math.max(a.thick, b.thick) || !alike(a, b)) continue;
      if (Math.abs(b.cx - a.cx) > 0.35 * ((a.long + b.long) / 2)) continue;
      best ??= b;
    }
    if (best && !linked.has(best)) {
      next.set(a, best);
      linked.add(best);
    }
  });
  return sorted
    .filter((d) => !linked.has(d))
    .map((first) => {
      const run = [first];
      for (let d = next.get(first); d; d = next.get(d)) run.push(d);
      return run;
    });
}

/** The dashes' middle line (x as a function of y), by least squares. */
function middle(run: Dash[]): { x: (y: number) => number; slope: number } {
  const n = run.length;
  const my = run.reduce((s, d) => s + d.cy, 0) / n;
  const mx = run.reduce((s, d) => s + d.cx, 0) / n;
  const syy = run.reduce((s, d) => s + (d.cy - my) ** 2, 0);
  const slope = syy > 0 ? run.reduce((s, d) => s + (d.cy - my) * (d.cx - mx), 0) / syy : 0;
  return { x: (y) => mx + slope * (y - my), slope };
}

/**
 * Columns of dashes: runs of at least three joined when one middle line holds both (a track broken into
 * groups; a photo's lens bends a long track a little, so the line is fitted to the two together).
 */
function columns(dashes: Dash[]): Dash[][] {
  const merged: Dash[][] = [];
  const byLength = runs(dashes)
    .filter((r) => r.length >= 3)
    .sort((a, b) => b.length - a.length);
  for (const run of byLength) {
    const into = merged.find((col) => {
      if (!alike(col[0]!, run[0]!)) return false;
      if (run.some((d) => d.cy > col[0]!.cy && d.cy < col.at(-1)!.cy)) return false;
      const both = [...col, ...run];
      const line = middle(both);
      return both.every((d) => Math.abs(d.cx - line.x(d.cy)) <= 0.25 * d.long);
    });
    if (into) {
      into.push(...run);
      into.sort((a, b) => a.cy - b.cy);
    } else merged.push([...run]);
  }
  return merged
    .filter((c) => Math.abs(middle(c).slope) <= TRACK_TOLERANCE.maxSlope)
    .sort((a, b) => b.length - a.length);
}

interface FoundTrack {
  /** The outer edge's ends in image pixels: where the first dash starts, where the last one ends. */
  top: Point;
  bottom: Point;
  dashes: number;
  /** Largest distance of a dash's outer end from the edge line, px. */
  worstPx: number;
}

/** A column's outer edge: the line through its dashes' outer ends, from the first dash's top to the last's foot. */
function outerEdge(col: Dash[], side: Track['side'], factor: number): FoundTrack {
  const ends = col.map((d): Point => [(side === 'left' ? d.x0 : d.x1) * factor, d.cy * factor]);
  const line: Line = fitLine(ends);
  // x on the line at height y: n.x (x - cx) + n.y (y - cy) = 0, the line being nearly upright.
  const at = (y: number): Point => [line.c[0] - (line.n[1] * (y - line.c[1])) / line.n[0], y];
  const first = col[0]!;
  const last = col.at(-1)!;
  return {
    top: at((first.cy - first.thick / 2) * factor),
    bottom: at((last.cy + last.thick / 2) * factor),
    dashes: col.length,
    worstPx: Math.max(...ends.map((p) => lineDistance(line, p))),
  };
}

/** The longest column in each half of the image, left and right, or why there are not two. */
function findTracks(
  small: GreyImage,
  level: number,
  def: FormDefinition,
  factor: number,
): { left: FoundTrack; right: FoundTrack } | string {
  const dashes = darkComponents(small, level).flatMap((c) => dashOf(c) ?? []);
  const cols = columns(dashes).filter((c) => c.length >= TRACK_TOLERANCE.minDashes);
  const half = small.width / 2;
  const leftCol = cols.find((c) => middle(c).x(small.height / 2) < half);
  const rightCol = cols.find((c) => middle(c).x(small.height / 2) >= half);
  if (!leftCol || !rightCol)
    return `no column of ${TRACK_TOLERANCE.minDashes} or more alike dashes in the ${leftCol ? 'right' : 'left'} half of the image`;
  const left = outerEdge(leftCol, 'left', factor);
  const right = outerEdge(rightCol, 'right', factor);
  const [wantLeft, wantRight] = (['left', 'right'] as const).map(
    (side) => def.tracks.find((t) => t.side === side)?.dashes,
  );
  if (wantLeft === undefined && wantRight === undefined) {
    if (left.dashes !== right.dashes)
      return `the tracks found have ${left.dashes} and ${right.dashes} dashes: a dash lost or covered (at an end it would move a corner)`;
    return { left, right };
  }
  // The image's left track is the form's right one on a page upside down (way-up.ts turns it).
  const holds = (a: number, b: number) =>
    (wantLeft === undefined || a === wantLeft) && (wantRight === undefined || b === wantRight);
  if (!holds(left.dashes, right.dashes) && !holds(right.dashes, left.dashes))
    return (
      `the tracks found have ${left.dashes} and ${right.dashes} dashes, the form's ` +
      `${wantLeft ?? 'any'} (left) and ${wantRight ?? 'any'} (right)`
    );
  return { left, right };
}

/**
 * The page registered on its two timing tracks: the image's left track is the form's left one as it lies
 * (a page upside down is turned by way-up.ts, as on corner marks).
 */
export function registerByTimingTracks(img: GreyImage, def: FormDefinition): Result {
  const tol = TRACK_TOLERANCE;
  const factor = Math.max(1, Math.round(Math.max(img.width, img.height) / tol.workLongSide));
  const small = factor === 1 ? img : thumbnail(img, factor);
  const paper = Math.max(percentile(small, 0.9), 60);
  const ink = percentile(small, 0.002, 1);
  const page = cornerPoints(def);
  if (!page)
    return { ok: false, failure: { reason: 'anchors-not-found', detail: 'the form declares no two tracks' } };
  let why = '';
  // Tracks running across the image: a page scanned or photographed a quarter turned. They are looked for
  // on the image turned a quarter clockwise, and what is found there is turned back.
  const across = Math.round(small.height * factor);
  for (const turned of [false, true]) {
    const view = turned ? quarterTurn(small) : small;
    const back = turned ? (p: Point): Point => [p[1], across - p[0]] : (p: Point) => p;
    for (const share of tol.inkShares) {
      const found = findTracks(view, paper - share * (paper - ink), def, factor);
      if (typeof found === 'string') {
        why ||= found;
        continue;
      }
      const ends = [found.left.top, found.right.top, found.right.bottom, found.left.bottom].map(back);
      const t = fitHomography(page, ends);
      if (!t) continue;
      const result = pageRegistration(t, def, 'timing-tracks', 0);
      const residualMm = Math.max(found.left.worstPx, found.right.worstPx) / (result.registration.dpi / 25.4);
      if (residualMm > tol.maxResidualMm) {
        return {
          ok: false,
          failure: {
            reason: 'registration-residual',
            detail: `a track's dashes lie ${residualMm.toFixed(2)} mm off its edge's line (over ${tol.maxResidualMm} mm): curled or folded`,
          },
        };
      }
      const orientation = turned ? turnOf(t, def) : 0;
      return { ...result, registration: { ...result.registration, residualMm, orientation } };
    }
  }
  return { ok: false, failure: { reason: 'anchors-not-found', detail: `timing tracks not found: ${why}` } };
}

/** The image turned a quarter clockwise: (x, y) of the result is (y, height - 1 - x) of the image. */
function quarterTurn(img: GreyImage): GreyImage {
  const { width: w, height: h, data } = img;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < w; y++) for (let x = 0; x < h; x++) out[y * h + x] = data[(h - 1 - x) * w + y]!;
  return { data: out, width: h, height: w };
}

/** How far clockwise the page lies turned in the image, to the nearest quarter: its x axis's direction there. */
function turnOf(t: Matrix3, def: FormDefinition): Registration['orientation'] {
  const { across } = axesAt(t, def.page.width / 2, def.page.height / 2);
  const quarters = Math.round(Math.atan2(across[1], across[0]) / (Math.PI / 2));
  return ((((quarters % 4) + 4) % 4) * 90) as Registration['orientation'];
}
