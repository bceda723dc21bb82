/**
 * Draws a form definition as a clean 300-dpi greyscale page. The blank form (print, anchors, cell outlines) is
 * rendered once per definition from SVG; barcodes and fills are drawn per sheet into a copy, in plain JS,
 * which keeps generating thousands of pages cheap.
 */
import sharp from 'sharp';
import type { ExpandedForm, FieldInstance, Rect } from '../forms/definitions.ts';
import { type Anchor, anchorRects, type FormDefinition, RINGS } from '../forms/schema.ts';
import type { GreyImage } from '../pipeline/image.ts';

export const RENDER_DPI = 300;
export const PX_PER_MM = RENDER_DPI / 25.4;
/** Pre-printed matter on the real form is grey 21, not black (shared/forms/ege-answer-sheet-1.md §1). */
export const PRINT_GREY = 21;

export type { GreyImage };

const px = (mm: number) => +(mm * PX_PER_MM).toFixed(2);
const printColour = `rgb(${PRINT_GREY},${PRINT_GREY},${PRINT_GREY})`;

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c);
}

function dottedCell(r: Rect, fill: string): string {
  // Dots 0.15 mm across every 0.8 mm: a zero-length dash with a round cap draws one dot.
  return (
    `<rect x="${px(r.x)}" y="${px(r.y)}" width="${px(r.w)}" height="${px(r.h)}" rx="${px(0.5)}" fill="${fill}" ` +
    `stroke="${printColour}" stroke-width="${px(0.17)}" stroke-dasharray="0.01 ${px(0.8)}" stroke-linecap="round"/>`
  );
}

/** Labels inside bubbles as today's forms print them: small and light, so an empty bubble stays light. */
const LIGHT_LABELS = { grey: 170, size: 2, bold: false };

function fieldSvg(f: FieldInstance, labels: FormDefinition['bubbleLabels'] = LIGHT_LABELS): string {
  switch (f.kind) {
    case 'cells':
      return f.rects.map((r) => dottedCell(r, f.preprinted ? 'rgb(209,209,209)' : 'none')).join('');
    case 'link':
      return f.rects.map((r) => dottedCell(r, 'none')).join('');
    case 'writing': {
      const a = f.area;
      return `<rect x="${px(a.x)}" y="${px(a.y)}" width="${px(a.w)}" height="${px(a.h)}" fill="none" stroke="${printColour}" stroke-width="${px(0.2)}"/>`;
    }
    case 'bubbles':
      return f.rects
        .map((r, i) => {
          const cx = px(r.x + r.w / 2);
          const cy = px(r.y + r.h / 2);
          // The baseline sits 0.375 em below the centre, which centres DejaVu capitals and digits.
          const weight = labels.bold ? ' font-weight="bold"' : '';
          return (
            `<ellipse cx="${cx}" cy="${cy}" rx="${px(r.w / 2)}" ry="${px(r.h / 2)}" fill="none" stroke="${printColour}" stroke-width="${px(0.18)}"/>` +
            `<text x="${cx}" y="${px(r.y + r.h / 2 + 0.375 * labels.size)}" font-family="DejaVu Sans"${weight} font-size="${px(labels.size)}" fill="rgb(${labels.grey},${labels.grey},${labels.grey})" text-anchor="middle">${escapeXml(f.labels[i] ?? '')}</text>`
          );
        })
        .join('');
  }
}

/** Row numbers beside repeated bubble groups (question 1, 2, …), like the numbers beside EGE answer rows. */
function bubbleNumbers(form: ExpandedForm): string {
  return form.fields
    .filter((f) => f.kind === 'bubbles' && f.name !== f.template)
    .map((f) => {
      const r = (f as { rects: Rect[] }).rects[0];
      if (!r) return '';
      const n = f.name.slice(f.name.lastIndexOf('.') + 1);
      const vertical =
        (f as { rects: Rect[] }).rects.length > 1 && (f as { rects: Rect[] }).rects[1]?.y !== r.y;
      const [x, y] = vertical ? [r.x + r.w / 2, r.y - 1.2] : [r.x - 1.5, r.y + r.h / 2 + 0.9];
      return `<text x="${px(x)}" y="${px(y)}" font-family="DejaVu Sans" font-weight="bold" font-size="${px(2.4)}" fill="${printColour}" text-anchor="${vertical ? 'middle' : 'end'}">${n}</text>`;
    })
    .join('');
}

function printItemSvg(p: FormDefinition['print'][number]): string {
  switch (p.type) {
    case 'bar':
      return `<rect x="${px(p.x)}" y="${px(p.y)}" width="${px(p.w)}" height="${px(p.h)}" fill="rgb(${p.grey},${p.grey},${p.grey})"/>`;
    case 'frame':
      return p.dotted
        ? dottedCell(p, 'none')
        : `<rect x="${px(p.x)}" y="${px(p.y)}" width="${px(p.w)}" height="${px(p.h)}" fill="none" stroke="${printColour}" stroke-width="${px(p.stroke)}"/>`;
    case 'text': {
      // librsvg ignores textLength, so a text with a measured width gets a font size that fits it
      // (DejaVu capitals advance about 0.7 em).
      const size = p.w ? Math.min(p.size * 1.4, p.w / (p.text.length * 0.7)) : p.size * 1.4;
      return `<text x="${px(p.x)}" y="${px(p.y)}" font-family="DejaVu Serif" font-size="${px(size)}" font-weight="${p.bold ? 'bold' : 'normal'}" fill="${printColour}" text-anchor="${p.align}">${escapeXml(p.text)}</text>`;
    }
  }
}

function printSvg(def: FormDefinition): string {
  return def.print.map(printItemSvg).join('');
}

/** Drawn before the anchors, so an emblem over a non-solid anchor (EGE 2022 BR) stays on top. */
function marksSvg(def: FormDefinition): string {
  return def.marks
    .map(
      (m) =>
        `<rect x="${px(m.x)}" y="${px(m.y)}" width="${px(m.w)}" height="${px(m.h)}" fill="${printColour}"/>`,
    )
    .join('');
}

/** An anchor in its own shape (`anchorRects`: a square, a bar, the two parts of an L; else a circle or rings). */
function anchorShapeSvg(a: Anchor): string {
  const rects = anchorRects(a);
  if (a.shape === 'rings') {
    // Inked bands from the outside in, each covered by the paper inside it.
    const disc = (r: number, fill: string) =>
      `<ellipse cx="${px(a.x + a.w / 2)}" cy="${px(a.y + a.h / 2)}" rx="${px((a.w / 2) * r)}" ry="${px((a.h / 2) * r)}" fill="${fill}"/>`;
    return [...RINGS]
      .reverse()
      .map(([r0, r1]) => disc(r1, printColour) + (r0 > 0 ? disc(r0, 'white') : ''))
      .join('');
  }
  if (rects.length === 0)
    return `<ellipse cx="${px(a.x + a.w / 2)}" cy="${px(a.y + a.h / 2)}" rx="${px(a.w / 2)}" ry="${px(a.h / 2)}" fill="${printColour}"/>`;
  const [only] = rects;
  if (only && rects.length === 1)
    return `<rect x="${px(only.x)}" y="${px(only.y)}" width="${px(only.w)}" height="${px(only.h)}" fill="${printColour}"/>`;
  // One path, so the L's two parts meet without an anti-aliased seam.
  const d = rects.map((r) => `M${px(r.x)} ${px(r.y)}h${px(r.w)}v${px(r.h)}h${-px(r.w)}z`).join('');
  return `<path d="${d}" fill="${printColour}"/>`;
}

function anchorSvg(def: FormDefinition): string {
  return def.anchors
    .map((a) => {
      const mark = anchorShapeSvg(a);
      if (a.solid) return mark;
      // The EGE 2022 emblem over BR: only the square's corners stay dark.
      return `${mark}<circle cx="${px(a.x + a.w / 2)}" cy="${px(a.y + a.h / 2)}" r="${px(a.w / 2)}" fill="rgb(138,138,138)"/><circle cx="${px(a.x + a.w / 2)}" cy="${px(a.y + a.h / 2)}" r="${px(a.w / 4)}" fill="rgb(90,90,90)"/>`;
    })
    .join('');
}

export function pageSizePx(def: FormDefinition): { width: number; height: number } {
  return { width: Math.round(px(def.page.width)), height: Math.round(px(def.page.height)) };
}

export function blankFormSvg(form: ExpandedForm): string {
  const def = form.definition;
  const { width, height } = pageSizePx(def);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<rect width="100%" height="100%" fill="white"/>${printSvg(def)}${marksSvg(def)}${anchorSvg(def)}${form.fields.map((f) => fieldSvg(f, def.bubbleLabels)).join('')}${bubbleNumbers(form)}</svg>`
  );
}

const blankCache = new Map<string, Promise<GreyImage>>();

/** The blank form at 300 dpi, one channel; cached per definition id. Callers copy before drawing. */
export function renderBlankForm(form: ExpandedForm): Promise<GreyImage> {
  const key = form.definition.id;
  let cached = blankCache.get(key);
  if (!cached) {
    cached = sharp(Buffer.from(blankFormSvg(form)))
      .toColourspace('b-w')
      .raw()
      .toBuffer({ resolveWithObject: true })
      .then(({ data, info }) => ({ data: new Uint8Array(data), width: info.width, height: info.height }));
    blankCache.set(key, cached);
  }
  return cached;
}

export function copyImage(img: GreyImage): GreyImage {
  return { data: new Uint8Array(img.data), width: img.width, height: img.height };
}

/** Darkens a pixel towards `grey` by `coverage` (0..1): ink on paper never lightens what is there. */
export function inkPixel(img: GreyImage, x: number, y: number, grey: number, coverage: number): void {
  if (x < 0 || y < 0 || x >= img.width || y >= img.height || coverage <= 0) return;
  const i = y * img.width + x;
  const old = img.data[i] ?? 255;
  const v = 255 - Math.min(1, coverage) * (255 - grey);
  if (v < old) img.data[i] = Math.round(v);
}
