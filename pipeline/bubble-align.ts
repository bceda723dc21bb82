/**
 * Local alignment of bubble blocks, for forms that declare it (`bubbleAlign`): a page registered by its outline
 * or its frame places the fields as well as its cut and its camera allow, a block at a time off by a few
 * millimetres. Before measuring, each block's offset is searched within the form's window for the place where
 * its bubbles' print (outlines, letters, marks) stands darkest against the paper around it. The fit is
 * recorded; a block whose print is not found, or is found at the window's edge (its place may lie beyond), is
 * not moved and its fields are doubted, never read as if they were in place.
 */
import type { BubblesInstance, Rect } from '../forms/definitions.ts';
import type { FormDefinition } from '../forms/schema.ts';
import type { Matrix3 } from './geometry.ts';
import { type GreyImage, sampleBilinear } from './image.ts';
import type { BlockFit } from './result.ts';

export const BUBBLE_ALIGN = {
  /** Offset steps across the smallest bubble of a block: the offset's resolution. */
  stepsPerBubble: 16,
  /** Raster cells across it: boxes between cells are summed exactly from the integral, so fewer suffice. */
  cellsPerBubble: 8,
  /** The first pass tries every this many steps; the second, every step around the first's best. */
  coarse: 4,
  /** The ring a bubble's box is weighed against, as a multiple of its size. */
  ring: 1.6,
  /** The search stays under this share of the block's pitch, so a block cannot slip onto its neighbour. */
  maxPitchShare: 0.45,
} as const;

/** A block's search result: where its bubbles best stand out, and how clearly. */
export interface BlockAlignment {
  fit: BlockFit;
  /** The fields moved by the offset (or left in place when the fit is poor). */
  fields: BubblesInstance[];
}

/** Darkness raster of a page region in page millimetres, with its integral image for box sums. */
class Raster {
  readonly w: number;
  readonly h: number;
  private readonly sums: Float64Array;

  constructor(
    img: GreyImage,
    t: Matrix3,
    paper: number,
    readonly x0: number,
    readonly y0: number,
    w: number,
    h: number,
    readonly step: number,
  ) {
    this.w = Math.max(1, Math.ceil(w / step));
    this.h = Math.max(1, Math.ceil(h / step));
    const stride = this.w + 1;
    this.sums = new Float64Array(stride * (this.h + 1));
    // The homography written out, its row terms once per row: the same arithmetic, no array per cell.
    const [t0, t1, t2, t3, t4, t5, t6, t7, t8] = t;
    for (let j = 0; j < this.h; j++) {
      let row = 0;
      const py = y0 + (j + 0.5) * step;
      const [ux, uy, uw] = [t1 * py, t4 * py, t7 * py];
      for (let i = 0; i < this.w; i++) {
        const px = x0 + (i + 0.5) * step;
        const w = t6 * px + uw + t8;
        const x = (t0 * px + ux + t2) / w;
        const y = (t3 * px + uy + t5) / w;
        row += Math.max(0, Math.min(1, (paper - sampleBilinear(img, x - 0.5, y - 0.5)) / paper));
        this.sums[(j + 1) * stride + i + 1] = this.sums[j * stride + i + 1]! + row;
      }
    }
  }

  /**
   * The integral at a point between cells: bilinear in the integral is exact for a raster constant within
   * each cell, so a box need not fall on cell edges.
   */
  private integral(u: number, v: number): number {
    const i = Math.min(this.w - 1, Math.floor(u));
    const j = Math.min(this.h - 1, Math.floor(v));
    const fu = u - i;
    const fv = v - j;
    const s = this.w + 1;
    const a = this.sums[j * s + i]!;
    const b = this.sums[j * s + i + 1]!;
    const c = this.sums[(j + 1) * s + i]!;
    const d = this.sums[(j + 1) * s + i + 1]!;
    return (a * (1 - fu) + b * fu) * (1 - fv) + (c * (1 - fu) + d * fu) * fv;
  }

  /**
   * The area in cells of the last `box`, kept here rather than returned in an object: a block's search sums
   * some hundred thousand boxes, and an object each was a third of its time in garbage collection.
   */
  area = 0;

  /** Darkness summed over a page rectangle (mm) clipped to the raster; its area in cells goes to `area`. */
  box(x: number, y: number, w: number, h: number): number {
    const u0 = Math.max(0, Math.min(this.w, (x - this.x0) / this.step));
    const v0 = Math.max(0, Math.min(this.h, (y - this.y0) / this.step));
    const u1 = Math.max(0, Math.min(this.w, (x + w - this.x0) / this.step));
    const v1 = Math.max(0, Math.min(this.h, (y + h - this.y0) / this.step));
    this.area = (u1 - u0) * (v1 - v0);
    return this.integral(u1, v1) - this.integral(u0, v1) - this.integral(u1, v0) + this.integral(u0, v0);
  }
}

/** How much darker a bubble's box is than the ring around it, at an offset. */
function contrast(r: Raster, rect: Rect, dx: number, dy: number): number {
  const inner = r.box(rect.x + dx, rect.y + dy, rect.w, rect.h);
  const innerArea = r.area;
  const k = BUBBLE_ALIGN.ring;
  const outer = r.box(
    rect.x + dx - ((k - 1) * rect.w) / 2,
    rect.y + dy - ((k - 1) * rect.h) / 2,
    rect.w * k,
    rect.h * k,
  );
  const ringArea = r.area - innerArea;
  if (innerArea === 0 || ringArea <= 0) return 0;
  return inner / innerArea - (outer - inner) / ringArea;
}

/**
 * The least distance along each axis from a block's bubbles to any other bubble of the form, its own or another
 * block's (Infinity when none lies that way): a row alone must not slide onto the next question's row.
 */
function pitch(own: Rect[], all: Rect[]): [number, number] {
  let px = Number.POSITIVE_INFINITY;
  let py = Number.POSITIVE_INFINITY;
  for (const a of own)
    for (const b of all) {
      const dx = Math.abs(a.x - b.x);
      const dy = Math.abs(a.y - b.y);
      if (dx === 0 && dy === 0) continue;
      // Two bubbles side by side limit the search across them, not along the other axis.
      if (dx > dy) px = Math.min(px, dx);
      else py = Math.min(py, dy);
    }
  return [px, py];
}

/** Searches one block's offset (see the module comment). */
export function alignBlock(
  img: GreyImage,
  t: Matrix3,
  paper: number,
  block: string,
  fields: BubblesInstance[],
  neighbours: Rect[],
  window: number,
  minContrast: number,
  centre: readonly [number, number] = [0, 0],
): BlockAlignment {
  const [cx, cy] = centre;
  const own = fields.flatMap((f) => f.rects);
  const [px, py] = pitch(own, neighbours);
  const rects = own.map((r) => ({ ...r, x: r.x + cx, y: r.y + cy }));
  const wx = Math.min(window, BUBBLE_ALIGN.maxPitchShare * px);
  const wy = Math.min(window, BUBBLE_ALIGN.maxPitchShare * py);
  const smallest = Math.min(window, ...rects.map((r) => Math.min(r.w, r.h)));
  const step = smallest / BUBBLE_ALIGN.stepsPerBubble;
  const margin = Math.max(...rects.map((r) => Math.max(r.w, r.h))) * BUBBLE_ALIGN.ring;
  const x0 = Math.min(...rects.map((r) => r.x)) - wx - margin;
  const y0 = Math.min(...rects.map((r) => r.y)) - wy - margin;
  const x1 = Math.max(...rects.map((r) => r.x + r.w)) + wx + margin;
  const y1 = Math.max(...rects.map((r) => r.y + r.h)) + wy + margin;
  const cell = smallest / BUBBLE_ALIGN.cellsPerBubble;
  const raster = new Raster(img, t, paper, x0, y0, x1 - x0, y1 - y0, cell);
  const nx = Math.floor(wx / step);
  const ny = Math.floor(wy / step);
  let best = { i: 0, j: 0, score: Number.NEGATIVE_INFINITY };
  const tryAt = (i: number, j: number) => {
    let score = 0;
    for (const r of rects) score += contrast(raster, r, i * step, j * step);
    // Ties keep the place nearest the layout's own.
    if (score > best.score + 1e-9 || (score > best.score - 1e-9 && i * i + j * j < best.i ** 2 + best.j ** 2))
      best = { i, j, score };
  };
  // Coarse steps, with the window's edges always tried (a best found there means the place may lie beyond).
  const coarse = (n: number) => {
    const k = BUBBLE_ALIGN.coarse;
    const at = new Set([-n, n]);
    for (let v = -Math.floor(n / k) * k; v <= n; v += k) at.add(v);
    return [...at];
  };
  for (const j of coarse(ny)) for (const i of coarse(nx)) tryAt(i, j);
  const around = { i: best.i, j: best.j };
  const r = BUBBLE_ALIGN.coarse - 1;
  for (let j = Math.max(-ny, around.j - r); j <= Math.min(ny, around.j + r); j++)
    for (let i = Math.max(-nx, around.i - r); i <= Math.min(nx, around.i + r); i++) tryAt(i, j);
  const mean = best.score / rects.length;
  const atEdge = (nx > 0 && Math.abs(best.i) === nx) || (ny > 0 && Math.abs(best.j) === ny);
  const good = mean >= minContrast && !atEdge;
  const dx = good ? cx + best.i * step : 0;
  const dy = good ? cy + best.j * step : 0;
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return {
    fit: {
      block,
      offsetMm: [round(cx + best.i * step), round(cy + best.j * step)],
      contrast: round(mean),
      atEdge,
      good,
    },
    fields: good
      ? fields.map((f) => ({ ...f, rects: f.rects.map((r) => ({ ...r, x: r.x + dx, y: r.y + dy })) }))
      : fields,
  };
}

/** Bubble fields by their block; a field outside any block is a block of its own. */
export function blocksOf(fields: BubblesInstance[]): Map<string, BubblesInstance[]> {
  const blocks = new Map<string, BubblesInstance[]>();
  for (const f of fields) {
    const key = f.block ?? f.name;
    const b = blocks.get(key);
    if (b) b.push(f);
    else blocks.set(key, [f]);
  }
  return blocks;
}

/** A page's bubble fields in their blocks' places, each block's fit, and the fields of blocks not found. */
export interface AlignedBlocks {
  fields: BubblesInstance[];
  fits: BlockFit[];
  poor: Set<string>;
}

/**
 * Every bubble field of a page in its block's place, with each block's fit; unchanged (and no fits) on a form
 * that does not declare `bubbleAlign`. A field outside any block is a block of its own.
 */
export function alignBubbleBlocks(
  img: GreyImage,
  t: Matrix3,
  def: FormDefinition,
  fields: BubblesInstance[],
  paper: number,
): AlignedBlocks {
  const align = def.bubbleAlign;
  if (!align) return { fields, fits: [], poor: new Set() };
  const blocks = blocksOf(fields);
  const all = fields.flatMap((f) => f.rects);
  const search = (block: string, members: BubblesInstance[], centre?: [number, number]) =>
    alignBlock(img, t, paper, block, members, all, align.window, align.minContrast, centre);
  let found = [...blocks].map(([block, members]) => search(block, members));
  // A photo's or a crop's shift is shared by the blocks around: a block not found near its own place is
  // searched again, within the same bounds, around the offset the blocks that were found agree on.
  const good = found.filter((a) => a.fit.good);
  if (good.length > 0 && good.length < found.length) {
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1] ?? 0;
    const shared: [number, number] = [
      median(good.map((a) => a.fit.offsetMm[0])),
      median(good.map((a) => a.fit.offsetMm[1])),
    ];
    found = found.map((a) => {
      if (a.fit.good) return a;
      const again = search(a.fit.block, blocks.get(a.fit.block) ?? [], shared);
      return again.fit.good ? again : a;
    });
  }
  const moved = new Map<string, BubblesInstance>();
  const poor = new Set<string>();
  for (const a of found)
    for (const f of a.fields) {
      moved.set(f.name, f);
      if (!a.fit.good) poor.add(f.name);
    }
  const fits = found.map((a) => a.fit);
  return { fields: fields.map((f) => moved.get(f.name) ?? f), fits, poor };
}
