/**
 * `rcoi calibrate form`: how a printed edition deviates from its definition. Each scan is registered on the
 * anchors as in recognition; then, for every field, the printed outline (dotted cell rectangle, bubble ellipse,
 * writing frame) is searched for around where the definition puts it. The median offset per definition entry,
 * over its instances and the scans, is the correction, and entries that are off get their origin moved.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  expandForm,
  type FieldInstance,
  FORMS_DIR,
  type FormDefinition,
  parseFormDefinition,
  type Rect,
  resolveForm,
} from '../forms/definitions.ts';
import type { FormDefinitionInput } from '../forms/schema.ts';
import { isReduced, openSource, type PageNeeds, PageRejection } from '../pipeline/decode.ts';
import { applyHomography, type Matrix3 } from '../pipeline/geometry.ts';
import { type GreyImage, paperLevel, sampleBilinear } from '../pipeline/image.ts';
import { findAnchorCandidates, type Orientation, type Registration, register } from '../pipeline/register.ts';
import { sampleRect } from '../pipeline/sampling.ts';

const MM_PER_INCH = 25.4;

export const FORM_CALIBRATION = {
  /** An outline is searched this far (mm) from where the definition puts it, on each axis. */
  searchMm: 1.5,
  coarseStepMm: 0.1,
  fineStepMm: 0.02,
  /** Outline samples are this far apart along it, mm. */
  spacingMm: 0.1,
  /** The outline is scored against parallel curves this far inside and outside it, mm. */
  flankMm: 0.2,
  /** Rectangle sides are sampled this far short of the corners, which the cells print rounded. */
  cornerMm: 0.6,
  /** Tiles around each outline are sampled at this resolution (0.05 mm). */
  tilePxPerMm: 20,
  /** A peak below this share of the entry's median contrast on the scan is weak (handwriting, a fill). */
  weakShare: 0.5,
  /** Entries whose median offset is shorter than this keep their origin, mm. */
  minShiftMm: 0.05,
} as const;

/** Resolutions scanners offer: the nominal one is the nearest to what the fit measures. */
const STANDARD_DPI = [72, 96, 100, 150, 200, 240, 300, 400, 600, 1200];

export interface ScanGeometry {
  orientation: Orientation;
  model: Registration['model'];
  residualMm: number;
  /** Image pixels per inch along the page's x and y, at the page centre. */
  dpiX: number;
  dpiY: number;
  nominalDpi: number;
  /** Printed size relative to the definition at the nominal resolution (a print "fit to page" is < 1). */
  scaleX: number;
  scaleY: number;
  /** Counter-clockwise on the scan, degrees, after the orientation. */
  rotationDeg: number;
}

export interface InstanceOffset {
  /** Index of the definition entry in `fields`. */
  entry: number;
  field: string;
  /** Where the outline really is minus where the definition puts it, page mm. */
  dx: number;
  dy: number;
  /** Darkness of the outline over its flanks at the peak. */
  contrast: number;
  weak: boolean;
}

export interface ScanMeasurement {
  source: string;
  page: number;
  geometry?: ScanGeometry;
  /** Why the page was not measured. */
  failure?: string;
  offsets: InstanceOffset[];
}

export interface EntryReport {
  entry: number;
  name: string;
  kind: FieldInstance['kind'];
  /** Instance measurements over all scans. */
  count: number;
  weakShare: number;
  /** Median offset, mm (0 when nothing was measured). */
  dx: number;
  dy: number;
  /** Median distance of the measurements from (dx, dy), mm. */
  spread: number;
  /** The adjusted definition moves this entry's origin by (dx, dy). */
  shifted: boolean;
}

export interface FormCalibration {
  form: string;
  scans: ScanMeasurement[];
  entries: EntryReport[];
}

const round = (v: number, digits: number) => Number(v.toFixed(digits));

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return 0;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Resolution, scale and rotation of the fitted transform at the page centre. */
export function scanGeometry(def: FormDefinition, reg: Registration): ScanGeometry {
  const t = reg.transform;
  const cx = def.page.width / 2;
  const cy = def.page.height / 2;
  const [x0, y0] = applyHomography(t, cx, cy);
  const [x1, y1] = applyHomography(t, cx + 1, cy);
  const [x2, y2] = applyHomography(t, cx, cy + 1);
  const dpiX = Math.hypot(x1 - x0, y1 - y0) * MM_PER_INCH;
  const dpiY = Math.hypot(x2 - x0, y2 - y0) * MM_PER_INCH;
  const mean = (dpiX + dpiY) / 2;
  const nominalDpi = STANDARD_DPI.reduce((best, d) =>
    Math.abs(Math.log(d / mean)) < Math.abs(Math.log(best / mean)) ? d : best,
  );
  // Image y points down: the page's x axis at angle a on screen is a rotation of -a counter-clockwise.
  const angle = (Math.atan2(y1 - y0, x1 - x0) * 180) / Math.PI - reg.orientation;
  const rotationDeg = -(((((angle + 180) % 360) + 360) % 360) - 180);
  return {
    orientation: reg.orientation,
    model: reg.model,
    residualMm: round(reg.residualMm, 3),
    dpiX: round(dpiX, 1),
    dpiY: round(dpiY, 1),
    nominalDpi,
    scaleX: round(dpiX / nominalDpi, 5),
    scaleY: round(dpiY / nominalDpi, 5),
    rotationDeg: round(rotationDeg, 3),
  };
}

/** A point of a printed outline, page mm, with its outward unit normal. */
interface OutlinePoint {
  x: number;
  y: number;
  nx: number;
  ny: number;
}

/** The four sides of a rectangle short of the corners, each with its outward normal. */
function rectSides(r: Rect): OutlinePoint[][] {
  const { cornerMm, spacingMm } = FORM_CALIBRATION;
  const side = (x: number, y: number, ux: number, uy: number, len: number, nx: number, ny: number) => {
    const usable = Math.max(0, len - 2 * cornerMm);
    const n = Math.max(1, Math.round(usable / spacingMm));
    return Array.from({ length: n }, (_, i) => {
      const s = cornerMm + (usable * (i + 0.5)) / n;
      return { x: x + ux * s, y: y + uy * s, nx, ny };
    });
  };
  return [
    side(r.x, r.y, 1, 0, r.w, 0, -1),
    side(r.x, r.y + r.h, 1, 0, r.w, 0, 1),
    side(r.x, r.y, 0, 1, r.h, -1, 0),
    side(r.x + r.w, r.y, 0, 1, r.h, 1, 0),
  ];
}

/** The ellipse inscribed in a bubble's rectangle, as the form prints it. */
function ellipse(r: Rect): OutlinePoint[] {
  const a = r.w / 2;
  const b = r.h / 2;
  const n = Math.ceil((2 * Math.PI * Math.max(a, b)) / FORM_CALIBRATION.spacingMm);
  return Array.from({ length: n }, (_, i) => {
    const t = (2 * Math.PI * i) / n;
    const gx = Math.cos(t) / a;
    const gy = Math.sin(t) / b;
    const g = Math.hypot(gx, gy);
    return { x: r.x + a + a * Math.cos(t), y: r.y + b + b * Math.sin(t), nx: gx / g, ny: gy / g };
  });
}

/** A field's outline in pieces small enough to sample as one tile each (a long writing frame gives four). */
function outlinePieces(f: FieldInstance): OutlinePoint[][] {
  switch (f.kind) {
    case 'bubbles':
      return f.rects.map(ellipse);
    case 'cells':
    case 'link':
      return f.rects.map((r) => rectSides(r).flat());
    case 'writing':
      return rectSides(f.area);
  }
}

/** A piece's tile and its outline and flank points in tile pixel coordinates, at zero offset. */
interface PreparedPiece {
  tile: GreyImage;
  /** Outline, inner and outer flank: x, y pairs for bilinear sampling. */
  at: [Float64Array, Float64Array, Float64Array];
  /** The same points rounded to the nearest tile pixel, as indices into its data. */
  index: [Int32Array, Int32Array, Int32Array];
}

function preparePiece(img: GreyImage, t: Matrix3, points: OutlinePoint[]): PreparedPiece {
  const { searchMm, flankMm, coarseStepMm, tilePxPerMm: ppm } = FORM_CALIBRATION;
  const margin = searchMm + 2 * coarseStepMm + flankMm;
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const x0 = Math.min(...xs) - margin;
  const y0 = Math.min(...ys) - margin;
  const region = { x: x0, y: y0, w: Math.max(...xs) + margin - x0, h: Math.max(...ys) + margin - y0 };
  const tile = sampleRect(img, t, region, ppm);
  const along = (k: number): [Float64Array, Int32Array] => {
    const at = new Float64Array(points.length * 2);
    const index = new Int32Array(points.length);
    points.forEach((p, i) => {
      // Tile pixel u has its centre at region.x + (u + 0.5) / ppm; sampleBilinear takes pixel-centre units.
      const u = (p.x + k * p.nx * flankMm - region.x) * ppm - 0.5;
      const v = (p.y + k * p.ny * flankMm - region.y) * ppm - 0.5;
      at[2 * i] = u;
      at[2 * i + 1] = v;
      index[i] = Math.round(v) * tile.width + Math.round(u);
    });
    return [at, index];
  };
  const [on, inner, outer] = [along(0), along(-1), along(1)];
  return { tile, at: [on[0], inner[0], outer[0]], index: [on[1], inner[1], outer[1]] };
}

/** Mean grey of the flanks minus mean grey on the outline, over every piece, at an offset in mm. */
function ridge(pieces: PreparedPiece[], dx: number, dy: number): number {
  const ox = dx * FORM_CALIBRATION.tilePxPerMm;
  const oy = dy * FORM_CALIBRATION.tilePxPerMm;
  let sum = 0;
  let n = 0;
  for (const { tile, at } of pieces) {
    const [on, inner, outer] = at;
    for (let i = 0; i < on.length; i += 2) {
      const flank = Math.min(
        sampleBilinear(tile, inner[i]! + ox, inner[i + 1]! + oy),
        sampleBilinear(tile, outer[i]! + ox, outer[i + 1]! + oy),
      );
      sum += flank - sampleBilinear(tile, on[i]! + ox, on[i + 1]! + oy);
      n++;
    }
  }
  return n ? sum / n : 0;
}

/** The ridge at a whole-pixel offset, to the nearest tile pixel: the coarse search's fast path. */
function ridgeAtPixel(pieces: PreparedPiece[], ox: number, oy: number): number {
  let sum = 0;
  let n = 0;
  for (const { tile, index } of pieces) {
    const d = tile.data;
    const shift = oy * tile.width + ox;
    const [on, inner, outer] = index;
    for (let i = 0; i < on.length; i++) {
      sum += Math.min(d[inner[i]! + shift]!, d[outer[i]! + shift]!) - d[on[i]! + shift]!;
      n++;
    }
  }
  return n ? sum / n : 0;
}

/**
 * Where the instance's outline really is: the offset with the strongest ridge, on a coarse grid over the search
 * window, then refined around the best. The ridge (outline darker than both flanks) rather than plain darkness,
 * so that a filled bubble or a handwritten stroke does not pull the outline inwards.
 */
function locateOutline(img: GreyImage, t: Matrix3, f: FieldInstance, paper: number) {
  const { searchMm, coarseStepMm, fineStepMm, tilePxPerMm } = FORM_CALIBRATION;
  const pieces = outlinePieces(f).map((p) => preparePiece(img, t, p));
  // The coarse grid falls on whole tile pixels (0.1 mm = 2 px), where rounded indices spare the interpolation.
  const stepPx = Math.round(coarseStepMm * tilePxPerMm);
  const steps = Math.round(searchMm / coarseStepMm);
  let coarse = { i: 0, j: 0, score: -Infinity };
  for (let j = -steps; j <= steps; j++) {
    for (let i = -steps; i <= steps; i++) {
      const score = ridgeAtPixel(pieces, i * stepPx, j * stepPx);
      if (score > coarse.score) coarse = { i, j, score };
    }
  }
  const cx = coarse.i * coarseStepMm;
  const cy = coarse.j * coarseStepMm;
  const fineSteps = Math.round(coarseStepMm / fineStepMm);
  let fine = { dx: cx, dy: cy, score: -Infinity };
  for (let j = -fineSteps; j <= fineSteps; j++) {
    for (let i = -fineSteps; i <= fineSteps; i++) {
      const dx = cx + i * fineStepMm;
      const dy = cy + j * fineStepMm;
      const score = ridge(pieces, dx, dy);
      if (score > fine.score) fine = { dx, dy, score };
    }
  }
  return {
    dx: round(fine.dx, 3),
    dy: round(fine.dy, 3),
    contrast: round(fine.score / paper, 3),
    // A peak at the window's edge is likely a neighbour's outline, or the true one lies beyond the search.
    edge: Math.max(Math.abs(coarse.i), Math.abs(coarse.j)) === steps,
  };
}

/** The instances of each definition entry, in definition order. */
function entryInstances(def: FormDefinition): FieldInstance[][] {
  return def.fields.map((f) => expandForm({ ...def, fields: [f] }).fields);
}

/** Registers one page against the definition and measures every field's outline offset. */
export function measureScan(img: GreyImage, def: FormDefinition, source = '', page = 0): ScanMeasurement {
  const r = register(img, def, findAnchorCandidates(img, [def]));
  if (!r.ok) return { source, page, failure: `${r.failure.reason}: ${r.failure.detail}`, offsets: [] };
  const t = r.registration.transform;
  const paper = paperLevel(img);
  const offsets: InstanceOffset[] = [];
  entryInstances(def).forEach((instances, entry) => {
    const found = instances.map((f) => ({ f, ...locateOutline(img, t, f, paper) }));
    const typical = median(found.map((m) => m.contrast));
    for (const m of found) {
      offsets.push({
        entry,
        field: m.f.name,
        dx: m.dx,
        dy: m.dy,
        contrast: m.contrast,
        weak: m.edge || m.contrast <= 0 || m.contrast < FORM_CALIBRATION.weakShare * typical,
      });
    }
  });
  return { source, page, geometry: scanGeometry(def, r.registration), offsets };
}

/** The median offset of each entry over its instances and the scans, strong peaks only when there are any. */
export function summariseEntries(
  def: FormDefinition,
  scans: ScanMeasurement[],
  minShiftMm: number = FORM_CALIBRATION.minShiftMm,
): EntryReport[] {
  const all = scans.flatMap((s) => s.offsets);
  return def.fields.map((f, entry) => {
    const mine = all.filter((o) => o.entry === entry);
    const strong = mine.filter((o) => !o.weak);
    const used = strong.length > 0 ? strong : mine;
    const dx = round(median(used.map((o) => o.dx)), 3);
    const dy = round(median(used.map((o) => o.dy)), 3);
    return {
      entry,
      name: f.name,
      kind: f.kind,
      count: mine.length,
      weakShare: mine.length ? (mine.length - strong.length) / mine.length : 0,
      dx,
      dy,
      spread: round(median(used.map((o) => Math.hypot(o.dx - dx, o.dy - dy))), 3),
      shifted: mine.length > 0 && Math.hypot(dx, dy) > minShiftMm,
    };
  });
}

/**
 * The definition with each shifted entry's origin moved by its offset, everything else as given. Works on the
 * JSON as written, so defaults the schema fills in do not appear in the adjusted file.
 */
export function adjustDefinition(raw: FormDefinitionInput, entries: EntryReport[]): FormDefinitionInput {
  const out = structuredClone(raw);
  const at = (v: number, d: number) => round(v + d, 3);
  for (const e of entries) {
    const f = out.fields[e.entry];
    if (!e.shifted || !f) continue;
    if (f.kind === 'bubbles')
      f.bubbles.origin = [at(f.bubbles.origin[0], e.dx), at(f.bubbles.origin[1], e.dy)];
    else if (f.kind === 'writing') f.area = { ...f.area, x: at(f.area.x, e.dx), y: at(f.area.y, e.dy) };
    else f.cells.origin = [at(f.cells.origin[0], e.dx), at(f.cells.origin[1], e.dy)];
  }
  parseFormDefinition(out, `${raw.id} (adjusted)`);
  return out;
}

export type DecodedPage = { source: string; page: number } & (
  | {
      img: GreyImage;
      /** On a page decoded smaller for `needs`: the page at full size, to measure again where that failed. */
      full?: () => Promise<GreyImage>;
    }
  | { error: string }
);

/**
 * Every page of the files, decoded one at a time; a page that does not decode is reported, not thrown. With
 * `needs`, each page is decoded as recognition decodes it for those forms (a dithered page at half size, as
 * the grey its dots stand for), so what is measured is what will be read.
 */
export async function* decodePages(files: string[], needs?: PageNeeds): AsyncGenerator<DecodedPage> {
  for (const source of files) {
    try {
      const src = await openSource(await readFile(source));
      for (let page = 0; page < src.pageCount; page++) {
        try {
          if (!needs) {
            yield { source, page, img: await src.page(page) };
            continue;
          }
          const decoded = await src.pageFor(page, needs);
          yield {
            source,
            page,
            img: decoded.image,
            ...(isReduced(decoded) && { full: () => src.page(page) }),
          };
        } catch (err) {
          if (!(err instanceof PageRejection)) throw err;
          yield { source, page, error: `${err.reason}: ${err.message}` };
        }
      }
    } catch (err) {
      if (!(err instanceof PageRejection)) throw err;
      yield { source, page: 0, error: `${err.reason}: ${err.message}` };
    }
  }
}

export function calibrateForm(def: FormDefinition, scans: ScanMeasurement[]): FormCalibration {
  return { form: def.id, scans, entries: summariseEntries(def, scans) };
}

const fmt = (v: number, digits = 2) => v.toFixed(digits).padStart(digits + 4);

export function formatFormReport(c: FormCalibration): string {
  const lines = [`form ${c.form}: ${c.scans.length} scan page(s)`, ''];
  lines.push(
    'scan                                     orient model       resid  dpi x   dpi y  nominal scale x scale y  rot°',
  );
  for (const s of c.scans) {
    const name = `${s.source}${s.page ? `#${s.page}` : ''}`.slice(-40).padEnd(40);
    const g = s.geometry;
    if (!g) {
      lines.push(`${name} not measured: ${s.failure}`);
      continue;
    }
    lines.push(
      `${name} ${String(g.orientation).padStart(6)} ${g.model.padEnd(10)} ${fmt(g.residualMm)} ${fmt(g.dpiX, 1)} ` +
        `${fmt(g.dpiY, 1)} ${String(g.nominalDpi).padStart(7)} ${fmt(g.scaleX, 4)} ${fmt(g.scaleY, 4)} ${fmt(g.rotationDeg)}`,
    );
  }
  lines.push('', ' # entry                          kind        n  weak     dx     dy  spread  adjusted');
  for (const e of c.entries) {
    lines.push(
      `${String(e.entry).padStart(2)} ${e.name.padEnd(30)} ${e.kind.padEnd(8)} ${String(e.count).padStart(4)} ` +
        `${(e.weakShare * 100).toFixed(0).padStart(4)}% ${fmt(e.dx)} ${fmt(e.dy)} ${fmt(e.spread)}  ${e.shifted ? 'yes' : ''}`,
    );
  }
  const shifted = c.entries.filter((e) => e.shifted).length;
  lines.push(
    '',
    `${shifted} of ${c.entries.length} entries moved by more than ${FORM_CALIBRATION.minShiftMm} mm`,
  );
  return lines.join('\n');
}

/** The definition as written: the file named, or the shipped file of that id. */
export async function rawDefinition(idOrPath: string, def: FormDefinition): Promise<FormDefinitionInput> {
  const path = idOrPath.endsWith('.json') ? idOrPath : join(FORMS_DIR, `${def.id}.json`);
  if (!existsSync(path)) return def;
  const raw = JSON.parse(await readFile(path, 'utf8')) as FormDefinitionInput;
  return raw.id === def.id ? raw : def;
}

export interface FormCalibrationRun {
  calibration: FormCalibration;
  definitionPath: string;
  reportPath: string;
}

/** Measures the scans, writes the adjusted definition to `out` and the report beside it. */
export async function calibrateFormFiles(
  idOrPath: string,
  files: string[],
  out?: string,
): Promise<FormCalibrationRun> {
  const def = resolveForm(idOrPath);
  const scans: ScanMeasurement[] = [];
  for await (const p of decodePages(files)) {
    scans.push(
      'img' in p
        ? measureScan(p.img, def, p.source, p.page)
        : { source: p.source, page: p.page, failure: p.error, offsets: [] },
    );
  }
  const calibration = calibrateForm(def, scans);
  const adjusted = adjustDefinition(await rawDefinition(idOrPath, def), calibration.entries);
  const definitionPath = out ?? join('out', 'calibrate', `${def.id}.calibrated.json`);
  const reportPath = definitionPath.replace(/(\.json)?$/, '.report.json');
  await mkdir(dirname(definitionPath), { recursive: true });
  await writeFile(definitionPath, `${JSON.stringify(adjusted, null, 2)}\n`);
  await writeFile(reportPath, `${JSON.stringify(calibration, null, 1)}\n`);
  return { calibration, definitionPath, reportPath };
}
