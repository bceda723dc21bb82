/** Comparing a recognition with the generator's ground truth: shared by tests, the demo and the benchmark. */

import { expandForm } from '../forms/definitions.ts';
import type { FormDefinition } from '../forms/schema.ts';
import { applyHomography, type Matrix3 } from '../pipeline/geometry.ts';
import type { RecognisedSheet } from '../pipeline/result.ts';
import type { SheetTruth } from './generate.ts';

/** Worst distance, in mm, between where the fit and the truth put each field's cells. */
export function registrationErrorMm(def: FormDefinition, fit: Matrix3, truth: Matrix3): number {
  let worst = 0;
  const [ox, oy] = applyHomography(truth, 0, 0);
  const [wx, wy] = applyHomography(truth, def.page.width, 0);
  const pxPerMm = Math.hypot(wx - ox, wy - oy) / def.page.width;
  for (const f of expandForm(def).fields) {
    const rects = f.kind === 'writing' ? [f.area] : f.rects;
    for (const r of rects) {
      const [ax, ay] = applyHomography(fit, r.x + r.w / 2, r.y + r.h / 2);
      const [bx, by] = applyHomography(truth, r.x + r.w / 2, r.y + r.h / 2);
      worst = Math.max(worst, Math.hypot(ax - bx, ay - by) / pxPerMm);
    }
  }
  return worst;
}

export interface Comparison {
  wrong: string[];
  /** Wrong values that carry no doubt on a page that was not rejected: what must never happen. */
  silent: string[];
  doubted: string[];
}

export function compare(sheet: RecognisedSheet, truth: SheetTruth): Comparison {
  const c: Comparison = { wrong: [], silent: [], doubted: [] };
  for (const [name, t] of Object.entries(truth.fields)) {
    const f = sheet.fields[name];
    if (!f) {
      c.wrong.push(name);
      continue;
    }
    if (f.doubt.length > 0) c.doubted.push(name);
    if (f.value !== t.value) {
      c.wrong.push(name);
      if (f.doubt.length === 0 && sheet.status !== 'rejected')
        c.silent.push(`${name}: read "${f.value}", truth "${t.value}"`);
    }
  }
  return c;
}

/** Characters a read gets wrong against the truth, position by position, plus the difference in length. */
export function characterErrors(read: string, truth: string): number {
  const a = [...read];
  const b = [...truth];
  let n = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) n++;
  return n;
}
