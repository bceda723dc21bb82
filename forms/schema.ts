/**
 * Form definitions are data: JSON files in forms/definitions/, validated here. All lengths are millimetres in
 * page coordinates (origin at the page's top-left corner, x right, y down).
 *
 * Grids are compact: a cell row is an origin, a cell size, a count and a pitch; a field repeated down the page
 * (answer rows 1..40) is one entry with explicit per-instance offsets where the print is irregular.
 */
import * as z from 'zod';

const mm = z.number().finite();
const positiveMm = mm.positive();

export const RectSchema = z.strictObject({ x: mm, y: mm, w: positiveMm, h: positiveMm });
export type Rect = z.infer<typeof RectSchema>;

/**
 * A registration mark's shape within its rectangle: `square` and `bar` fill it, `circle` is the circle inscribed
 * in it, `l` is two arms `arm` wide meeting at `corner` of the rectangle (an L mark is one of the corner marks of
 * many OMR designs; its corner tells the page's orientation), `rings` is a bullseye inscribed in it (`RINGS`).
 */
export const AnchorShapeSchema = z.enum(['square', 'bar', 'circle', 'l', 'rings']);
export type AnchorShape = z.infer<typeof AnchorShapeSchema>;

/**
 * A bullseye's inked bands, as shares of its outer radius: a dot and two rings, the proportions of the OMR
 * marker OMRChecker's designs print (its omr_marker.jpg, measured across its centre).
 */
export const RINGS: readonly (readonly [number, number])[] = [
  [0, 0.19],
  [0.4, 0.59],
  [0.8, 1],
];

/** Sides of a square, a circle or rings may differ by this share of the longer one (measurement, rounding). */
const ROUND_SHAPE_TOLERANCE = 0.1;

export const AnchorSchema = RectSchema.extend({
  id: z.string().min(1),
  /** False where something is printed over the square (EGE 2022 BR emblem): not usable as a solid fiducial. */
  solid: z.boolean().default(true),
  shape: AnchorShapeSchema.default('square'),
  /** An L mark's corner, where its arms meet (tl = top left of the upright page). */
  corner: z.enum(['tl', 'tr', 'bl', 'br']).optional(),
  /** An L mark's arm width. */
  arm: positiveMm.optional(),
}).superRefine((a, ctx) => {
  if (a.shape === 'l') {
    if (a.corner === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['corner'],
        message: 'an L mark needs the corner its arms meet at',
      });
    if (a.arm === undefined)
      ctx.addIssue({ code: 'custom', path: ['arm'], message: 'an L mark needs its arm width' });
    else if (a.arm >= Math.min(a.w, a.h))
      ctx.addIssue({ code: 'custom', path: ['arm'], message: 'an arm as wide as the mark leaves no L' });
    return;
  }
  for (const key of ['corner', 'arm'] as const) {
    if (a[key] !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `only an L mark has ${key === 'arm' ? 'an arm' : 'a corner'}`,
      });
  }
  if (
    (a.shape === 'square' || a.shape === 'circle' || a.shape === 'rings') &&
    Math.abs(a.w - a.h) > ROUND_SHAPE_TOLERANCE * Math.max(a.w, a.h)
  )
    ctx.addIssue({
      code: 'custom',
      path: ['h'],
      message: `a ${a.shape} has equal sides; a long mark is a bar`,
    });
});
export type Anchor = z.infer<typeof AnchorSchema>;

const isRound = (a: Anchor) => a.shape === 'circle' || a.shape === 'rings';

/**
 * The rectangles an anchor's ink is made of (none for a circle or rings): its own rectangle, or an L's
 * full-length arm along the corner's edge and the rest of the other arm.
 */
export function anchorRects(a: Anchor): Rect[] {
  if (a.shape !== 'l') return isRound(a) ? [] : [{ x: a.x, y: a.y, w: a.w, h: a.h }];
  const arm = a.arm ?? 0;
  const top = a.corner === 'tl' || a.corner === 'tr';
  const left = a.corner === 'tl' || a.corner === 'bl';
  return [
    { x: a.x, y: top ? a.y : a.y + a.h - arm, w: a.w, h: arm },
    { x: left ? a.x : a.x + a.w - arm, y: top ? a.y + arm : a.y, w: arm, h: a.h - arm },
  ];
}

/** Share of an anchor's rectangle that is ink. */
export function anchorInkShare(a: Anchor): number {
  if (a.shape === 'circle') return Math.PI / 4;
  if (a.shape === 'rings') return (Math.PI / 4) * RINGS.reduce((sum, [r0, r1]) => sum + r1 ** 2 - r0 ** 2, 0);
  return anchorRects(a).reduce((sum, r) => sum + r.w * r.h, 0) / (a.w * a.h);
}

/** An anchor's registration point: the centre of its ink, which is where the image's ink centroid falls. */
export function anchorCentre(a: Anchor): [number, number] {
  const rects = anchorRects(a);
  if (rects.length === 0) return [a.x + a.w / 2, a.y + a.h / 2];
  let area = 0;
  let sx = 0;
  let sy = 0;
  for (const r of rects) {
    area += r.w * r.h;
    sx += r.w * r.h * (r.x + r.w / 2);
    sy += r.w * r.h * (r.y + r.h / 2);
  }
  return [sx / area, sy / area];
}

/** Whether a page point (mm) is ink of the anchor. */
export function anchorCovers(a: Anchor, x: number, y: number): boolean {
  if (isRound(a)) {
    // Distance from the centre as a share of the radius.
    const r = 2 * Math.hypot((x - a.x) / a.w - 0.5, (y - a.y) / a.h - 0.5);
    return a.shape === 'circle' ? r <= 1 : RINGS.some(([r0, r1]) => r >= r0 && r <= r1);
  }
  return anchorRects(a).some((r) => x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h);
}

/**
 * How a page is put into page coordinates (designs imported from other OMR systems need the last two):
 * - `anchors`: the form's printed marks (`anchors`, at least three);
 * - `page-edges`: the sheet's own outline, photographed on a darker ground; its corners are the page's;
 * - `image-frame`: the image is the page, already cut to the sheet and upright (nothing in it is checked, so a
 *   form says so only where its scans arrive cropped);
 * - `corner-marks`: four alike marks, one in each quarter of the image (the one nearest its corner), are the
 *   four anchors, whatever the page's proportions between them: OMRChecker's CropOnMarkers, which stretches the
 *   marks' centres to its template's corners. Four alike marks cannot tell which way up a page lies, or its
 *   quarter turns, so such a form declares `bubbleAlign`: its blocks' fit decides (pipeline/way-up.ts);
 * - `timing-tracks`: two columns of short dashes printed down the page's sides (`tracks`), their outer edges'
 *   ends the four points (OMRChecker's CropOnMarkers of TWO_LINES); the same turn holds as for corner marks.
 */
export const RegistrationMethodSchema = z.enum([
  'anchors',
  'page-edges',
  'image-frame',
  'corner-marks',
  'timing-tracks',
]);
export type RegistrationMethod = z.infer<typeof RegistrationMethodSchema>;

/**
 * A timing track: a column of short dashes across the page's width, one down each side. Its outer edge runs
 * along `x` from `top` (where the first dash starts) to `bottom` (where the last one ends); `dash` is a dash's
 * length across the track. A track may break into groups of dashes along the way.
 */
export const TrackSchema = z.strictObject({
  side: z.enum(['left', 'right']),
  x: mm,
  top: mm,
  bottom: mm,
  dash: positiveMm,
  /**
   * How many dashes the track holds: a column found with another count is not the track (an end dash lost
   * would move a corner by a dash's pitch). Without it, the two tracks must hold as many as each other.
   */
  dashes: z.number().int().min(2).optional(),
});
export type Track = z.infer<typeof TrackSchema>;

export const SymbologySchema = z.enum(['ean13', 'qr']);
export type Symbology = z.infer<typeof SymbologySchema>;

const BarcodeSchema = RectSchema.extend({
  role: z.string().min(1),
  symbology: SymbologySchema,
  /** Counter-clockwise rotation of the printed symbol: 90 = bars horizontal, start guard at the bottom. */
  rotation: z.union([z.literal(0), z.literal(90), z.literal(180), z.literal(270)]).default(0),
});

/** A straight run of equal cells: `count` cells of `size`, the first at `origin`, each `pitch` after the last. */
const CellRunSchema = z
  .strictObject({
    origin: z.tuple([mm, mm]),
    size: z.tuple([positiveMm, positiveMm]),
    count: z.number().int().positive(),
    pitch: z.tuple([mm, mm]).default([0, 0]),
  })
  .refine((r) => r.count === 1 || r.pitch[0] !== 0 || r.pitch[1] !== 0, {
    message: 'a run of more than one cell needs a non-zero pitch',
    path: ['pitch'],
  });

/** One field entry standing for several fields: names are the template with {n} replaced by from, from+1, … */
const RepeatSchema = z
  .strictObject({
    from: z.number().int().default(1),
    count: z.number().int().positive().optional(),
    step: z.tuple([mm, mm]).optional(),
    offsets: z
      .array(z.tuple([mm, mm]))
      .min(1)
      .optional(),
  })
  .refine((r) => (r.offsets !== undefined) !== (r.count !== undefined && r.step !== undefined), {
    message: 'repeat takes either offsets, or count and step',
  });

const fieldBase = {
  name: z
    .string()
    .regex(/^[a-z][a-z0-9_]*(\.(\{n\}|[a-z0-9_]+))*$/, 'field names are dotted lower-case words'),
  label: z.string().optional(),
  repeat: RepeatSchema.optional(),
  /**
   * The participant's personal data (names, identity document): its value is never stored for a participant
   * who refused processing of personal data (order L21, L561-562, L693).
   */
  personal: z.boolean().optional(),
};

const BubblesFieldSchema = z.strictObject({
  ...fieldBase,
  kind: z.literal('bubbles'),
  /** One label per bubble, in the order of the run. */
  labels: z.array(z.string().min(1)).min(1),
  multiple: z.boolean(),
  bubbles: CellRunSchema,
  /** Fields of one block move together when the form declares `bubbleAlign` (a field alone is its own). */
  block: z.string().min(1).optional(),
});

const CellsFieldSchema = z.strictObject({
  ...fieldBase,
  kind: z.literal('cells'),
  /** Key into the definition's alphabets. */
  alphabet: z.string().min(1),
  cells: CellRunSchema,
  /** Long answers may be written across the cells, ignoring them. */
  mayOverflow: z.boolean().default(false),
  /** Pre-printed values (EGE header codes) are read like handwriting but not by a participant. */
  preprinted: z.boolean().default(false),
});

const LinkFieldSchema = z.strictObject({
  ...fieldBase,
  kind: z.literal('link'),
  /** The sheet kind whose barcode number the cells hold. */
  target: z.string().min(1),
  cells: CellRunSchema,
});

const RedactionSchema = RectSchema.extend({
  /** What the region would give away (for the reviewer of a new edition). */
  reason: z.string().trim().min(1),
});
export type Redaction = z.infer<typeof RedactionSchema>;

const WritingFieldSchema = z.strictObject({
  ...fieldBase,
  kind: z.literal('writing'),
  area: RectSchema,
});

export const FieldSchema = z.discriminatedUnion('kind', [
  BubblesFieldSchema,
  CellsFieldSchema,
  LinkFieldSchema,
  WritingFieldSchema,
]);
export type FieldDefinition = z.infer<typeof FieldSchema>;

/** What the renderer draws besides fields, anchors and barcodes; recognition ignores it. */
const PrintSchema = z.discriminatedUnion('type', [
  RectSchema.extend({ type: z.literal('bar'), grey: z.number().int().min(0).max(255).default(21) }),
  RectSchema.extend({
    type: z.literal('frame'),
    stroke: positiveMm.default(0.1),
    dotted: z.boolean().default(false),
  }),
  z.strictObject({
    type: z.literal('text'),
    x: mm,
    y: mm,
    size: positiveMm,
    /** Ink width to fit the text to (as measured on the real form); natural width when absent. */
    w: positiveMm.optional(),
    text: z.string(),
    bold: z.boolean().default(false),
    align: z.enum(['start', 'middle', 'end']).default('start'),
  }),
]);

/*
 * Bubble reading, per form: doubt thresholds, each bubble's calibrated empty level, the letters printed in the
 * bubbles, and what tells this form from another that shares its marks. All optional: a definition without
 * them reads and renders as the defaults do.
 */

const share = z.number().min(0).max(1);

/**
 * Overrides of the bubble thresholds (`BUBBLE_THRESHOLDS` in pipeline/bubbles.ts: the defaults and what each
 * key means). On a form with `bubbleEmpty` they apply to each bubble's darkness above its own empty level.
 */
export const BubbleThresholdsSchema = z
  .strictObject({
    minThreshold: share.optional(),
    maxThreshold: share.optional(),
    defaultThreshold: share.optional(),
    marginal: share.positive().optional(),
    residue: share.optional(),
    spill: share.optional(),
  })
  .superRefine((t, ctx) => {
    const order = [t.minThreshold, t.defaultThreshold, t.maxThreshold];
    const given = order.filter((v): v is number => v !== undefined);
    if (given.some((v, i) => i > 0 && v < given[i - 1]!))
      ctx.addIssue({
        code: 'custom',
        path: ['defaultThreshold'],
        message: 'thresholds must keep minThreshold <= defaultThreshold <= maxThreshold',
      });
  });
export type BubbleThresholdsInput = z.infer<typeof BubbleThresholdsSchema>;

/**
 * An empty bubble's darkness as measured on blank scans (`rcoi calibrate bubbles`): inside the outline (`fill`,
 * where a printed letter sits) and in the ring around it. Keyed by field entry name, then by bubble label.
 */
export const BubbleEmptySchema = z.record(
  z.string().min(1),
  z.record(z.string().min(1), z.strictObject({ fill: share.max(0.9), ring: share })),
);
export type BubbleEmpty = z.infer<typeof BubbleEmptySchema>;

/** How the renderer prints each bubble's label inside it (default: small and light). */
export const BubbleLabelPrintSchema = z.strictObject({
  grey: z.number().int().min(0).max(255).default(170),
  size: positiveMm.default(2),
  bold: z.boolean().default(false),
});

/**
 * A region that tells this form from others sharing its marks (a bubble column, an ID block another variant
 * has not): print must be `present` there, or the paper must be blank (`absent`).
 */
export const FormFeatureSchema = RectSchema.extend({ ink: z.enum(['present', 'absent']) });
export type FormFeature = z.infer<typeof FormFeatureSchema>;

const bubbleReading = {
  /**
   * Calibrated empty levels: with them, a bubble's mark is its darkness above its own empty level. `'sheet'`:
   * no blank scans; each sheet's own bubbles give the levels (the same label's low quantile on the sheet).
   */
  bubbleEmpty: z.union([z.literal('sheet'), BubbleEmptySchema]).optional(),
  bubbleLabels: BubbleLabelPrintSchema.optional(),
  /**
   * Each bubble block's offset searched before measuring (pipeline/bubble-align.ts), for layouts placed by
   * the sheet's outline or the image frame: within `window` mm of its place; a block whose print stands out
   * of the paper around it by less than `minContrast` (mean darkness), or is found at the window's edge, is
   * not moved and its fields are doubted (`layout-misfit`).
   */
  bubbleAlign: z
    .strictObject({ window: positiveMm.max(10), minContrast: share.positive().default(0.05) })
    .optional(),
  /** Checked when several candidate forms fit a page's marks equally and no barcode names one. */
  features: z.array(FormFeatureSchema).optional(),
};

function checkBubbleEmpty(def: FormDefinition, ctx: z.RefinementCtx): void {
  const empty = def.bubbleEmpty;
  if (empty === 'sheet') return;
  for (const [entry, levels] of Object.entries(empty ?? {})) {
    const fields = def.fields.filter((f) => f.kind === 'bubbles' && f.name === entry);
    if (fields.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['bubbleEmpty', entry], message: 'no bubble field of this name' });
      continue;
    }
    const labels = new Set(fields.flatMap((f) => (f.kind === 'bubbles' ? f.labels : [])));
    for (const label of Object.keys(levels))
      if (!labels.has(label))
        ctx.addIssue({
          code: 'custom',
          path: ['bubbleEmpty', entry, label],
          message: `no bubble labelled "${label}" in ${entry}`,
        });
  }
  // A sheet's bubbles are weighed together: read partly raw and partly above their levels, they would not
  // compare.
  if (!empty) return;
  def.fields.forEach((f, i) => {
    if (f.kind !== 'bubbles') return;
    const missing = f.labels.filter((label) => empty[f.name]?.[label] === undefined);
    if (missing.length > 0)
      ctx.addIssue({
        code: 'custom',
        path: ['fields', i],
        message: `no calibrated empty level for ${missing.join(', ')} of ${f.name} (bubbleEmpty covers every bubble or none)`,
      });
  });
}

export const SheetKindSchema = z.enum([
  'registration',
  'answer-sheet-1',
  'answer-sheet-2',
  'additional-answer-sheet-2',
  'protocol',
  'bubble-sheet',
]);
export type SheetKind = z.infer<typeof SheetKindSchema>;

/** The instances of a field entry: its number n and its offset (mm) from the entry's own position. */
export function repeatOffsets(field: FieldDefinition): { n: number; dx: number; dy: number }[] {
  const r = field.repeat;
  if (!r) return [{ n: 0, dx: 0, dy: 0 }];
  if (r.offsets) return r.offsets.map(([dx, dy], i) => ({ n: r.from + i, dx, dy }));
  const [sx, sy] = r.step ?? [0, 0];
  return Array.from({ length: r.count ?? 0 }, (_, i) => ({ n: r.from + i, dx: i * sx, dy: i * sy }));
}

/** Blanked beyond every barcode, all round: its quiet zone, where a reader still finds the symbol's edges. */
const BARCODE_QUIET_MM = 3;
/** Blanked further below an EAN-13 (in the symbol's own orientation): where human-readable digits go. */
const BARCODE_DIGITS_MM = 4;
/** Blanked around a link field's cells: handwriting strays past them. */
const LINK_MARGIN_MM = 1.5;

type Barcode = z.infer<typeof BarcodeSchema>;

function barcodeArea(b: Barcode): Rect {
  const q = BARCODE_QUIET_MM;
  const area = { x: b.x - q, y: b.y - q, w: b.w + 2 * q, h: b.h + 2 * q };
  if (b.symbology !== 'ean13') return area;
  const d = BARCODE_DIGITS_MM;
  // The symbol's bottom edge, turned counter-clockwise by its rotation: down, right, up, left on the page.
  switch (b.rotation) {
    case 0:
      return { ...area, h: area.h + d };
    case 90:
      return { ...area, w: area.w + d };
    case 180:
      return { ...area, y: area.y - d, h: area.h + d };
    case 270:
      return { ...area, x: area.x - d, w: area.w + d };
  }
}

/** Each instance of a link field: its run of cells from the first to the last, with the margin. */
function linkAreas(f: Extract<FieldDefinition, { kind: 'link' }>): Rect[] {
  const { origin, size, count, pitch } = f.cells;
  const [x0, x1] = [origin[0], origin[0] + (count - 1) * pitch[0]].sort((a, b) => a - b) as [number, number];
  const [y0, y1] = [origin[1], origin[1] + (count - 1) * pitch[1]].sort((a, b) => a - b) as [number, number];
  const m = LINK_MARGIN_MM;
  return repeatOffsets(f).map(({ dx, dy }) => ({
    x: x0 + dx - m,
    y: y0 + dy - m,
    w: x1 - x0 + size[0] + 2 * m,
    h: y1 - y0 + size[1] + 2 * m,
  }));
}

/** Where an area comes from, as a path into the definition, and why it is blanked. */
interface SourcedRedaction {
  path: (string | number)[];
  area: Redaction;
}

/**
 * Everything that names a sheet, each kind derived from the layout so that a new edition cannot forget one:
 * every barcode (with its quiet zone and an EAN-13's digits) and every link field (another sheet's number,
 * written in), then the definition's own `redact` regions.
 */
function redactionSources(def: FormDefinition): SourcedRedaction[] {
  return [
    ...def.barcodes.map((b, i) => ({
      path: ['barcodes', i],
      area: { ...barcodeArea(b), reason: `barcode ${b.role}: the sheet's number` },
    })),
    ...def.fields.flatMap((f, i) =>
      f.kind === 'link'
        ? linkAreas(f).map((a) => ({
            path: ['fields', i],
            area: { ...a, reason: `link field ${f.name}: another sheet's number (${f.target})` },
          }))
        : [],
    ),
    ...def.redact.map((r, i) => ({ path: ['redact', i], area: r })),
  ];
}

function clip(r: Redaction, page: { width: number; height: number }): Redaction | null {
  const x = Math.max(0, r.x);
  const y = Math.max(0, r.y);
  const w = Math.min(page.width, r.x + r.w) - x;
  const h = Math.min(page.height, r.y + r.h) - y;
  return w > 0 && h > 0 ? { ...r, x, y, w, h } : null;
}

/** What is blanked in every image an expert gets, mm, within the page. */
export function redactionAreas(def: FormDefinition): Redaction[] {
  return redactionSources(def).flatMap((s) => clip(s.area, def.page) ?? []);
}

const overlaps = (a: Rect, b: Rect) =>
  a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

export type Quarter = 'tl' | 'tr' | 'br' | 'bl';

/** The quarter of the page an anchor's centre lies in. */
export function anchorQuarter(def: Pick<FormDefinition, 'page'>, a: Anchor): Quarter {
  const [x, y] = anchorCentre(a);
  return `${y < def.page.height / 2 ? 't' : 'b'}${x < def.page.width / 2 ? 'l' : 'r'}` as Quarter;
}

/**
 * The four page points a page registered by corner marks or timing tracks is mapped through, clockwise from
 * the top left: the corner anchors' centres, or the ends of the tracks' outer edges. Null when the form has
 * not all four.
 */
export function cornerPoints(def: FormDefinition): [number, number][] | null {
  if (def.registration === 'timing-tracks') {
    const left = def.tracks.find((t) => t.side === 'left');
    const right = def.tracks.find((t) => t.side === 'right');
    if (!left || !right) return null;
    return [
      [left.x, left.top],
      [right.x, right.top],
      [right.x, right.bottom],
      [left.x, left.bottom],
    ];
  }
  const points = (['tl', 'tr', 'br', 'bl'] as const).map((q) => {
    const a = def.anchors.find((anchor) => anchorQuarter(def, anchor) === q);
    return a ? anchorCentre(a) : null;
  });
  return points.every((p) => p !== null) ? points : null;
}

/** Registration by corner marks: four solid anchors, one in each quarter of the page. */
function checkCornerMarks(def: FormDefinition, ctx: z.RefinementCtx): void {
  const quarters = new Set(def.anchors.filter((a) => a.solid).map((a) => anchorQuarter(def, a)));
  if (def.anchors.length !== 4 || quarters.size !== 4)
    ctx.addIssue({
      code: 'custom',
      path: ['anchors'],
      message: 'registration by corner marks needs four solid anchors, one in each quarter of the page',
    });
}

/** Registration by timing tracks: one track down each side, running down the page. */
function checkTracks(def: FormDefinition, ctx: z.RefinementCtx): void {
  const sides = def.tracks.map((t) => t.side);
  if (def.tracks.length !== 2 || !sides.includes('left') || !sides.includes('right'))
    ctx.addIssue({
      code: 'custom',
      path: ['tracks'],
      message: 'registration by timing tracks needs two tracks, one on each side',
    });
  def.tracks.forEach((t, i) => {
    if (t.bottom <= t.top)
      ctx.addIssue({ code: 'custom', path: ['tracks', i, 'bottom'], message: 'a track runs down the page' });
  });
}

/** A listed redaction lies on the page, and no redaction blanks a writing area: experts see the whole answer. */
function checkRedactions(def: FormDefinition, ctx: z.RefinementCtx): void {
  const { width, height } = def.page;
  def.redact.forEach((r, i) => {
    if (r.x < 0 || r.y < 0 || r.x + r.w > width || r.y + r.h > height)
      ctx.addIssue({
        code: 'custom',
        path: ['redact', i],
        message: `outside the ${width} x ${height} mm page`,
      });
  });
  const writing = def.fields.flatMap((f) =>
    f.kind === 'writing'
      ? repeatOffsets(f).map(({ dx, dy }) => ({
          name: f.name,
          area: { ...f.area, x: f.area.x + dx, y: f.area.y + dy },
        }))
      : [],
  );
  for (const { path, area } of redactionSources(def)) {
    const hidden = writing.find((w) => overlaps(area, w.area));
    if (hidden)
      ctx.addIssue({
        code: 'custom',
        path,
        message: `blanking it for experts would hide part of writing field "${hidden.name}"`,
      });
  }
}

export const FormDefinitionSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9-]+$/),
    title: z.string().min(1),
    kind: SheetKindSchema,
    edition: z.string().min(1),
    /** Free text: where the layout comes from (measured on a real form, or designed here). */
    source: z.string().min(1),
    page: z.strictObject({ width: positiveMm, height: positiveMm }),
    registration: RegistrationMethodSchema.default('anchors'),
    anchors: z.array(AnchorSchema).default([]),
    tracks: z.array(TrackSchema).default([]),
    barcodes: z.array(BarcodeSchema),
    /**
     * Small solid print elements at known places (EGE row-separator bars): secondary registration points,
     * drawn by the renderer like anchors.
     */
    marks: z.array(RectSchema).default([]),
    /**
     * The sheet number: which barcode roles carry it, the pattern that identifies this form by barcode, and
     * which digits every code of one sheet must agree on (cross-check against misreads).
     */
    sheetNumber: z
      .strictObject({
        pattern: z.string().min(1),
        agree: z.tuple([z.number().int().min(0), z.number().int().min(1)]).optional(),
      })
      .optional(),
    alphabets: z.record(z.string(), z.string().min(1)),
    fields: z.array(FieldSchema),
    print: z.array(PrintSchema).default([]),
    /**
     * Regions blanked in every image an expert gets because they identify the sheet or the participant, besides
     * the barcodes and link fields, which always are (`redactionAreas`): a sheet number printed apart from its
     * barcode, a header field that names a person.
     */
    redact: z.array(RedactionSchema).default([]),
    /**
     * Where the sheet names its subject (the field holding its two-digit code) and which repeated field answers
     * which task ({n} is the task number): each answer is read under its task's type, from the subject's
     * answer types (forms/answer-types.ts, calibration/answers/<year>/).
     */
    answers: z
      .strictObject({
        exam: z.enum(['EGE', 'OGE', 'GVE']),
        subjectField: z.string().min(1),
        answerField: z.string().includes('{n}'),
        /** Rows that replace a wrong answer: the row's task number and its answer, {n} the row. */
        replacement: z
          .strictObject({ task: z.string().includes('{n}'), answer: z.string().includes('{n}') })
          .optional(),
      })
      .optional(),
    /** Derived fields computed from read ones (EGE AS1: results after replacements). */
    derive: z.array(z.literal('ege-replacements')).default([]),
    /**
     * Doubt thresholds tuned for this form on labelled scans (`rcoi calibrate thresholds`); absent ones are the
     * defaults. characterAccept: the least confidence at which a cell's read is accepted (default: the
     * character model's own, set on isolated tiles). bubbles: the bubble thresholds this form's print needs
     * (`rcoi calibrate bubbles` writes them with `bubbleEmpty`).
     */
    thresholds: z
      .strictObject({
        characterAccept: z.number().min(0.5).max(1).optional(),
        bubbles: BubbleThresholdsSchema.optional(),
      })
      .default({}),
    /**
     * The share of handwritten answers (cells fields, neither pre-printed nor personal) read without a doubt
     * that go to a verifier all the same, drawn at random and not marked as such: a blind control sample. Its
     * corrections are the silent errors no doubt caught, counted where the thresholds alone would hide them,
     * and its decisions the unbiased labels a threshold is refitted on. 0: none.
     */
    controlShare: z.number().min(0).max(0.5).default(0),
    ...bubbleReading,
  })
  .superRefine((def, ctx) => {
    if (def.registration === 'anchors' && def.anchors.length < 3)
      ctx.addIssue({
        code: 'custom',
        path: ['anchors'],
        message: 'registration by anchors needs at least 3',
      });
    if (def.registration === 'corner-marks') checkCornerMarks(def, ctx);
    if (def.registration === 'timing-tracks') checkTracks(def, ctx);
    // Its bubble blocks' fit is what tells such a page's way up.
    if ((def.registration === 'corner-marks' || def.registration === 'timing-tracks') && !def.bubbleAlign)
      ctx.addIssue({
        code: 'custom',
        path: ['bubbleAlign'],
        message: `registration by ${def.registration} needs bubbleAlign: the blocks tell which way is up`,
      });
    checkRedactions(def, ctx);
    checkBubbleEmpty(def, ctx);
    def.fields.forEach((f, i) => {
      if (f.kind === 'cells' && !(f.alphabet in def.alphabets)) {
        ctx.addIssue({
          code: 'custom',
          path: ['fields', i, 'alphabet'],
          message: `unknown alphabet "${f.alphabet}"; known: ${Object.keys(def.alphabets).join(', ')}`,
        });
      }
      if (f.kind === 'bubbles' && f.labels.length !== f.bubbles.count) {
        ctx.addIssue({
          code: 'custom',
          path: ['fields', i, 'labels'],
          message: `${f.labels.length} labels for ${f.bubbles.count} bubbles`,
        });
      }
      if (f.name.includes('{n}') !== (f.repeat !== undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: ['fields', i, 'name'],
          message: 'a repeated field names its instances with {n}, and only a repeated field does',
        });
      }
    });
    const names = new Set(def.fields.map((f) => f.name));
    const answers = def.answers;
    const named = answers && {
      subjectField: answers.subjectField,
      answerField: answers.answerField,
      'replacement.task': answers.replacement?.task,
      'replacement.answer': answers.replacement?.answer,
    };
    for (const [key, name] of Object.entries(named ?? {})) {
      if (name !== undefined && !names.has(name))
        ctx.addIssue({ code: 'custom', path: ['answers', ...key.split('.')], message: `no field "${name}"` });
    }
    try {
      new RegExp(def.sheetNumber?.pattern ?? '');
    } catch {
      ctx.addIssue({
        code: 'custom',
        path: ['sheetNumber', 'pattern'],
        message: 'not a valid regular expression',
      });
    }
  });

export type FormDefinition = z.infer<typeof FormDefinitionSchema>;
export type FormDefinitionInput = z.input<typeof FormDefinitionSchema>;
