/**
 * Registration by timing tracks (issue 14 C, OMRChecker's TWO_LINES): two columns of dashes down the page's
 * sides, each broken into two groups, painted onto generated pages through their true transform.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { findShippedForm, parseFormDefinition } from '../forms/definitions.ts';
import type { FormDefinition, Track } from '../forms/schema.ts';
import { applyHomography, invert3, type Matrix3 } from '../pipeline/geometry.ts';
import type { GreyImage } from '../pipeline/image.ts';
import { recognisePage } from '../pipeline/recognise.ts';
import { registerForm } from '../pipeline/register.ts';
import { generateSheet } from '../samples/generate.ts';
import { compare, decodeFirstPage, registrationErrorMm } from './helpers.ts';

/** Dashes 5 mm long, 1.2 mm thick, 3 mm apart: 30 from y 25, a gap, 40 from y 130 (the last ends at 248.2). */
const DASH = { long: 5, thick: 1.2, pitch: 3 };
const GROUPS = [
  { from: 25, count: 30 },
  { from: 130, count: 40 },
];
const BOTTOM = 130 + 39 * DASH.pitch + DASH.thick;

function tracksDesign(tracks: Partial<Track> = {}): FormDefinition {
  const base = findShippedForm('bubble-sheet-60x5');
  return parseFormDefinition({
    ...base,
    id: 'bubble-sheet-timing-tracks',
    registration: 'timing-tracks',
    bubbleAlign: { window: 4, minContrast: 0.05 },
    anchors: [],
    tracks: [
      { side: 'left', x: 3, top: 25, bottom: BOTTOM, dash: DASH.long, ...tracks },
      { side: 'right', x: 207, top: 25, bottom: BOTTOM, dash: DASH.long, ...tracks },
    ],
  });
}

/** Paints a page rectangle (mm) black through the page → image map. */
function paintRect(img: GreyImage, t: Matrix3, x: number, y: number, w: number, h: number) {
  const inv = invert3(t);
  const corners = [
    [x, y],
    [x + w, y],
    [x + w, y + h],
    [x, y + h],
  ].map(([px, py]) => applyHomography(t, px!, py!));
  const xs = corners.map((c) => c[0]);
  const ys = corners.map((c) => c[1]);
  for (
    let py = Math.max(0, Math.floor(Math.min(...ys)));
    py <= Math.min(img.height - 1, Math.max(...ys));
    py++
  ) {
    for (
      let px = Math.max(0, Math.floor(Math.min(...xs)));
      px <= Math.min(img.width - 1, Math.max(...xs));
      px++
    ) {
      const [mx, my] = applyHomography(inv, px + 0.5, py + 0.5);
      if (mx >= x && mx < x + w && my >= y && my < y + h) img.data[py * img.width + px] = 20;
    }
  }
}

/** Both tracks painted; `skipLeft`, `skipRight` dashes of each left out from its top. */
function paintTracks(img: GreyImage, t: Matrix3, skipLeft = 0, skipRight = 0) {
  for (const [x, skip] of [
    [3, skipLeft],
    [207 - DASH.long, skipRight],
  ] as const) {
    let n = 0;
    for (const g of GROUPS) {
      for (let i = 0; i < g.count; i++, n++)
        if (n >= skip) paintRect(img, t, x, g.from + i * DASH.pitch, DASH.long, DASH.thick);
    }
  }
}

async function page(
  def: FormDefinition,
  seed: number,
  opts: { perspective?: number; upsideDown?: boolean; profile?: 'scanner' | 'phone'; skipLeft?: number } = {},
) {
  const g = await generateSheet(
    def,
    seed,
    opts.profile ?? 'scanner',
    {},
    {
      dpi: 150,
      upsideDown: opts.upsideDown ?? false,
      perspective: opts.perspective ?? 0,
    },
  );
  const img = await decodeFirstPage(g.image);
  paintTracks(img, g.truth.transform, opts.skipLeft);
  return { g, img };
}

describe('registration on timing tracks', () => {
  const def = tracksDesign();

  it('finds both tracks, each in its two groups, and fits the page within 0.3 mm', async () => {
    const { g, img } = await page(def, 81);
    const result = registerForm(img, def, null);
    expect(result.ok, result.ok ? '' : result.failure.detail).toBe(true);
    if (!result.ok) return;
    expect(result.registration.model).toBe('timing-tracks');
    expect(registrationErrorMm(def, result.registration.transform, g.truth.transform)).toBeLessThan(0.3);
  });

  it('reads a photo’s keystone through the tracks’ ends with no silent error', async () => {
    const { g, img } = await page(def, 82, { perspective: 0.12, profile: 'phone' });
    const sheet = await recognisePage(img, { forms: [def] });
    expect(sheet.status, sheet.detail).not.toBe('rejected');
    expect(sheet.registration?.blocks?.every((b) => b.good && !b.atEdge)).toBe(true);
    const c = compare(sheet, g.truth);
    expect(c.silent).toEqual([]);
    expect(c.doubted.length).toBeLessThan(Object.keys(g.truth.fields).length / 10);
  });

  it('turns a page fed upside down the right way up by its bubble blocks', async () => {
    const { g, img } = await page(def, 83, { upsideDown: true });
    const sheet = await recognisePage(img, { forms: [def] });
    expect(sheet.status, sheet.detail).not.toBe('rejected');
    expect(sheet.registration?.orientation).toBe(180);
    expect(compare(sheet, g.truth).silent).toEqual([]);
  });

  it.each([90, 270])(
    'reads a page scanned turned %i°, its tracks running across the image',
    async (degrees) => {
      const { g, img } = await page(def, 88);
      const turned = await sharp(Buffer.from(img.data), {
        raw: { width: img.width, height: img.height, channels: 1 },
      })
        .rotate(degrees)
        .png()
        .toBuffer();
      const sheet = await recognisePage(await decodeFirstPage(new Uint8Array(turned)), { forms: [def] });
      expect(sheet.status, sheet.detail).not.toBe('rejected');
      expect(sheet.registration?.orientation).toBe(degrees);
      expect(compare(sheet, g.truth).silent).toEqual([]);
    },
  );

  it('rejects a page whose track lost its end dash rather than fit a corner a dash off', async () => {
    const { img } = await page(def, 84, { skipLeft: 1 });
    const result = registerForm(img, def, null);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.failure).toMatchObject({ reason: 'anchors-not-found' });
    expect(result.failure.detail).toMatch(/tracks found have 69 and 70 dashes/);
  });

  it('holds each track to the count the form declares', async () => {
    const { img } = await page(def, 85);
    expect(registerForm(img, tracksDesign({ dashes: 70 }), null).ok).toBe(true);
    const wrong = registerForm(img, tracksDesign({ dashes: 71 }), null);
    expect(wrong.ok).toBe(false);
    if (!wrong.ok)
      expect(wrong.failure.detail).toMatch(/have 70 and 70 dashes, the form's 71 \(left\) and 71 \(right\)/);
  });

  it('reads a page upside down whose tracks differ in count, as the form declares them', async () => {
    // The left track 70 dashes, the right one short of its top dash (69), declared so.
    const uneven = parseFormDefinition({
      ...def,
      tracks: [
        { ...def.tracks[0]!, dashes: 70 },
        { ...def.tracks[1]!, top: 25 + DASH.pitch, dashes: 69 },
      ],
    });
    const g = await generateSheet(uneven, 87, 'scanner', {}, { dpi: 150, upsideDown: true, perspective: 0 });
    const img = await decodeFirstPage(g.image);
    paintTracks(img, g.truth.transform, 0, 1);
    const sheet = await recognisePage(img, { forms: [uneven] });
    expect(sheet.status, sheet.detail).not.toBe('rejected');
    expect(sheet.registration?.orientation).toBe(180);
    expect(compare(sheet, g.truth).silent).toEqual([]);
  });

  it('rejects a page without tracks as anchors-not-found, saying what is missing', async () => {
    const g = await generateSheet(def, 86, 'scanner', {}, { dpi: 150, upsideDown: false, perspective: 0 });
    const result = registerForm(await decodeFirstPage(g.image), def, null);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.failure.detail).toMatch(/timing tracks not found: no column of 8 or more/);
  });

  it('is refused by the schema without a track on each side, or without bubble blocks to turn it', () => {
    const base = findShippedForm('bubble-sheet-60x5');
    const twoLeft = {
      ...base,
      registration: 'timing-tracks',
      bubbleAlign: { window: 4 },
      tracks: [
        { side: 'left', x: 3, top: 25, bottom: 250, dash: 5 },
        { side: 'left', x: 8, top: 25, bottom: 250, dash: 5 },
      ],
    };
    expect(() => parseFormDefinition(twoLeft)).toThrow(/two tracks, one on each side/);
    const { bubbleAlign: _, ...unaligned } = { ...twoLeft, tracks: tracksDesign().tracks };
    expect(() => parseFormDefinition(unaligned)).toThrow(/timing-tracks needs bubbleAlign/);
  });
});
