/**
 * The bubble measurement's fast path (polar offsets computed once per bubble size, the homography's terms once
 * per bubble) reads what its definition reads: every polar sample mapped through the page's homography on its
 * own and sampled bilinearly, as written out here.
 */
import { describe, expect, it } from 'vitest';
import {
  type BubblesInstance,
  expandForm,
  type FormDefinition,
  findShippedForm,
  loadFormDefinitionFile,
} from '../forms/definitions.ts';
import { type BubbleMeasure, decideBubbles, measureBubbles, sheetBubbleStats } from '../pipeline/bubbles.ts';
import { applyHomography, type Matrix3 } from '../pipeline/geometry.ts';
import { type GreyImage, paperLevel, sampleBilinear } from '../pipeline/image.ts';
import { findAnchorCandidates, register } from '../pipeline/register.ts';
import type { DegradeProfile } from '../samples/degrade.ts';
import { generateSheet } from '../samples/generate.ts';
import { decodeFirstPage } from './helpers.ts';

/** Mean darkness of an annulus and of its darkest of 12 sectors, sample by sample at ~0.2 mm. */
function referenceAnnulus(
  img: GreyImage,
  t: Matrix3,
  [cx, cy, rx, ry]: number[],
  inner: number,
  outer: number,
  paper: number,
): { mean: number; darkestSector: number } {
  const sums = new Array<number>(12).fill(0);
  const counts = new Array<number>(12).fill(0);
  const r = Math.max(rx!, ry!);
  const rings = Math.max(2, Math.round(((outer - inner) * r) / 0.2));
  for (let i = 0; i < rings; i++) {
    const s = inner + ((outer - inner) * (i + 0.5)) / rings;
    const count = Math.max(12, Math.round((2 * Math.PI * s * r) / 0.2));
    for (let j = 0; j < count; j++) {
      const a = (2 * Math.PI * j) / count;
      const [x, y] = applyHomography(t, cx! + Math.cos(a) * rx! * s, cy! + Math.sin(a) * ry! * s);
      const k = Math.floor((j * 12) / count);
      sums[k]! += Math.max(0, Math.min(1, (paper - sampleBilinear(img, x - 0.5, y - 0.5)) / paper));
      counts[k]!++;
    }
  }
  const n = counts.reduce((s, c) => s + c, 0);
  const darkestSector = Math.max(...sums.map((s, k) => (counts[k] ? s / counts[k]! : 0)));
  return { mean: n ? sums.reduce((s, v) => s + v, 0) / n : 0, darkestSector };
}

function referenceMeasures(img: GreyImage, t: Matrix3, f: BubblesInstance, paper: number): BubbleMeasure[] {
  return f.rects.map((r) => {
    const at = [r.x + r.w / 2, r.y + r.h / 2, r.w / 2, r.h / 2];
    return {
      fill: referenceAnnulus(img, t, at, 0, 0.72, paper).mean,
      ring: referenceAnnulus(img, t, at, 1.25, 1.55, paper).darkestSector,
    };
  });
}

const lettered = loadFormDefinitionFile(
  new URL('./fixtures/lettered-bubble-sheet.json', import.meta.url).pathname,
);

describe('bubble measurement', () => {
  it.each([
    ['bubble-sheet-60x5', 'scanner', 31],
    ['bubble-sheet-60x5', 'phone', 32],
    ['bubble-sheet-60x5', 'phone', 33],
    ['lettered', 'scanner', 34],
  ] as [string, DegradeProfile, number][])(
    '%s, %s page (seed %i): the same fills and rings as sample by sample, and the same decisions',
    async (form, profile, seed) => {
      const def: FormDefinition = form === 'lettered' ? lettered : findShippedForm(form);
      const g = await generateSheet(def, seed, profile);
      const img = await decodeFirstPage(g.image);
      const reg = register(img, def, findAnchorCandidates(img, [def]));
      if (!reg.ok) throw new Error(reg.failure.detail);
      const t = reg.registration.transform;
      // A phone page's perspective is what an approximation per bubble would miss.
      if (profile === 'phone') expect(Math.hypot(t[6], t[7])).toBeGreaterThan(1e-6);
      const paper = paperLevel(img);
      const fields = expandForm(def).fields.filter((f): f is BubblesInstance => f.kind === 'bubbles');
      const fast = fields.map((f) => measureBubbles(img, t, f, paper));
      const slow = fields.map((f) => referenceMeasures(img, t, f, paper));
      const worst = Math.max(
        ...fast.flatMap((ms, j) =>
          ms.flatMap((m, i) => [Math.abs(m.fill - slow[j]![i]!.fill), Math.abs(m.ring - slow[j]![i]!.ring)]),
        ),
      );
      expect(worst).toBeLessThan(1e-9);
      const decide = (measures: BubbleMeasure[][]) => {
        const stats = sheetBubbleStats(measures.flat().map((m) => m.fill));
        return fields.map((f, i) => decideBubbles(f, measures[i]!, stats));
      };
      expect(decide(fast)).toEqual(decide(slow));
    },
  );
});
