/**
 * `rcoi calibrate bubbles`: each bubble's empty level, measured on blank scans of a printed edition. A letter
 * printed inside every bubble (as many OMR designs do) makes an empty bubble 0.1-0.3 dark, and differently
 * so for each letter; fixed thresholds then mistake it for residue, and a light pencil mark over it for a
 * marginal one. With the levels in the definition, recognition compares each bubble with its own empty level,
 * and the thresholds can be as tight as the blank scans' own spread allows.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  type BubblesInstance,
  expandForm,
  type FormDefinition,
  parseFormDefinition,
  resolveForm,
} from '../forms/definitions.ts';
import type { BubbleEmpty, BubbleThresholdsInput, FormDefinitionInput } from '../forms/schema.ts';
import { aboveEmpty, type BubbleMeasure, measureBubbles } from '../pipeline/bubbles.ts';
import { type GreyImage, paperLevel } from '../pipeline/image.ts';
import { findAnchorCandidates, register } from '../pipeline/register.ts';
import { pageNeeds } from '../pipeline/resolution.ts';
import { decodePages, rawDefinition } from './calibrate-form.ts';

export const BUBBLE_CALIBRATION = {
  /**
   * The residue doubt starts this far above the darkest empty bubble of the blank scans (in darkness above
   * its own level): filled sheets are scanned on other days, with other noise.
   */
  residueOverSpread: 0.03,
  /** Residue never tighter than this: toner and paper vary more than a few blank scans show. */
  minResidue: 0.05,
  /** The marginal band's half-width; a light pencil mark (0.3 and darker) clears it. */
  marginal: 0.07,
  /** A bubble darker than its level by this much on a "blank" scan is a mark: the scan is not blank. */
  maxSpread: 0.15,
} as const;

export interface BlankScan {
  source: string;
  page: number;
  /** Why the scan was not used (decoding, registration). */
  failure?: string;
  residualMm?: number;
  /** Its darkest bubble above that bubble's calibrated level (set by the calibration). */
  spread?: number;
  /** Each bubble field's raw measures, in the order of `bubbleFields`. */
  measures: BubbleMeasure[][];
}

const bubbleFields = (def: FormDefinition): BubblesInstance[] =>
  expandForm(def).fields.filter((f): f is BubblesInstance => f.kind === 'bubbles');

export interface BubbleCalibration {
  form: string;
  scans: BlankScan[];
  empty: BubbleEmpty;
  /** The darkest empty bubble of the blank scans, above its own calibrated level. */
  spread: number;
  thresholds: Required<Omit<BubbleThresholdsInput, 'spill'>>;
}

/** Registers a blank scan and measures every bubble on it. */
export function measureBlankScan(img: GreyImage, def: FormDefinition, source: string, page = 0): BlankScan {
  const r = register(img, def, findAnchorCandidates(img, [def]));
  if (!r.ok) return { source, page, failure: `${r.failure.reason}: ${r.failure.detail}`, measures: [] };
  const t = r.registration.transform;
  const paper = paperLevel(img);
  const measures = bubbleFields(def).map((f) => measureBubbles(img, t, f, paper));
  return { source, page, residualMm: r.registration.residualMm, measures };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

/**
 * Empty levels per field entry and label (the same letter in the same print is equally dark wherever it
 * stands, so every instance and scan vouches for it), and thresholds from the spread left around them.
 */
export function calibrateBubbles(def: FormDefinition, scans: BlankScan[]): BubbleCalibration {
  const fields = bubbleFields(def);
  const used = scans.filter((s) => !s.failure);
  const groups = new Map<string, { entry: string; label: string; fills: number[]; rings: number[] }>();
  for (const scan of used)
    fields.forEach((f, j) => {
      f.labels.forEach((label, i) => {
        const m = scan.measures[j]?.[i];
        if (!m) return;
        const key = JSON.stringify([f.template, label]);
        let g = groups.get(key);
        if (!g) groups.set(key, (g = { entry: f.template, label, fills: [], rings: [] }));
        g.fills.push(m.fill);
        g.rings.push(m.ring);
      });
    });
  const empty: BubbleEmpty = {};
  for (const g of groups.values()) {
    empty[g.entry] ??= {};
    empty[g.entry]![g.label] = { fill: round3(median(g.fills)), ring: round3(median(g.rings)) };
  }
  // As recognition will see them: above each bubble's level, less the scan's own offset.
  for (const scan of used)
    scan.spread = round3(
      Math.max(
        0,
        ...aboveEmpty(fields, scan.measures, empty)
          .flat()
          .map((m) => m.fill),
      ),
    );
  const spread = Math.max(0, ...used.map((scan) => scan.spread ?? 0));
  const c = BUBBLE_CALIBRATION;
  const residue = round3(Math.max(c.minResidue, spread + c.residueOverSpread));
  // The threshold stands where neither an empty bubble's residue band nor a mark's marginal band reaches
  // the other; with every bubble's own level known, no per-sheet search is needed.
  const threshold = round3(residue + c.marginal);
  return {
    form: def.id,
    scans,
    empty,
    spread: round3(spread),
    thresholds: {
      minThreshold: threshold,
      maxThreshold: threshold,
      defaultThreshold: threshold,
      marginal: c.marginal,
      residue,
    },
  };
}

/** The definition with the calibration in it; validated, so a bad one is never written. */
export function calibratedDefinition(raw: FormDefinitionInput, c: BubbleCalibration): FormDefinitionInput {
  const out: FormDefinitionInput = {
    ...raw,
    thresholds: { ...raw.thresholds, bubbles: c.thresholds },
    bubbleEmpty: c.empty,
  };
  parseFormDefinition(out, `${raw.id} (bubbles calibrated)`);
  return out;
}

export function formatBubbleReport(c: BubbleCalibration): string {
  const used = c.scans.filter((s) => !s.failure);
  const lines = [`form ${c.form}: ${used.length} of ${c.scans.length} blank scan page(s) measured`];
  for (const s of c.scans)
    if (s.failure) lines.push(`  not used ${s.source}${s.page ? `#${s.page}` : ''}: ${s.failure}`);
  lines.push('', 'entry                    label   empty fill  empty ring');
  for (const [entry, levels] of Object.entries(c.empty))
    for (const [label, e] of Object.entries(levels))
      lines.push(
        `${entry.padEnd(24)} ${label.padEnd(7)} ${e.fill.toFixed(3).padStart(10)} ${e.ring.toFixed(3).padStart(11)}`,
      );
  const t = c.thresholds;
  lines.push(
    '',
    `darkest empty bubble above its level: ${c.spread.toFixed(3)}`,
    `thresholds (darkness above each bubble's empty level): mark at ${t.defaultThreshold.toFixed(3)}, ` +
      `marginal band ±${t.marginal.toFixed(3)}, residue above ${t.residue.toFixed(3)}`,
  );
  return lines.join('\n');
}

export interface BubbleCalibrationRun {
  calibration: BubbleCalibration;
  definitionPath: string;
  reportPath: string;
}

/** Why the scans cannot calibrate the form, if they cannot: none measured, or marks on a "blank" one. */
export function calibrationProblem(c: BubbleCalibration): string | undefined {
  const used = c.scans.filter((s) => !s.failure);
  if (used.length === 0)
    return `no blank scan of ${c.form} could be measured: ${c.scans.map((s) => `${s.source}: ${s.failure}`).join('; ')}`;
  const marked = used.filter((s) => (s.spread ?? 0) > BUBBLE_CALIBRATION.maxSpread);
  if (marked.length > 0)
    return (
      `not blank: ${marked.map((s) => s.source).join(', ')} ha${marked.length > 1 ? 've' : 's'} bubbles ` +
      `marked (up to ${Math.max(...marked.map((s) => s.spread ?? 0)).toFixed(2)} above their level); ` +
      'calibrate on unmarked sheets'
    );
  return undefined;
}

/**
 * Measures the blank scans, writes the calibrated definition to `out` and the report beside it; or says why
 * the scans cannot calibrate the form, writing nothing.
 */
export async function calibrateBubblesFiles(
  idOrPath: string,
  files: string[],
  out?: string,
): Promise<BubbleCalibrationRun | { problem: string }> {
  const def = resolveForm(idOrPath);
  const scans: BlankScan[] = [];
  for await (const p of decodePages(files, pageNeeds([def]))) {
    if (!('img' in p)) {
      scans.push({ source: p.source, page: p.page, failure: p.error, measures: [] });
      continue;
    }
    const scan = measureBlankScan(p.img, def, p.source, p.page);
    // As recognition does, a page the smaller copy did not register is measured at full size.
    scans.push(scan.failure && p.full ? measureBlankScan(await p.full(), def, p.source, p.page) : scan);
  }
  const calibration = calibrateBubbles(def, scans);
  const problem = calibrationProblem(calibration);
  if (problem) return { problem };
  const definition = calibratedDefinition(await rawDefinition(idOrPath, def), calibration);
  const definitionPath = out ?? join('out', 'calibrate', `${def.id}.bubbles.json`);
  const reportPath = definitionPath.replace(/(\.json)?$/, '.report.json');
  await mkdir(dirname(definitionPath), { recursive: true });
  await writeFile(definitionPath, `${JSON.stringify(definition, null, 2)}\n`);
  const { scans: measured, ...summary } = calibration;
  const report = {
    ...summary,
    scans: measured.map(({ measures, ...s }) => s),
  };
  await writeFile(reportPath, `${JSON.stringify(report, null, 1)}\n`);
  return { calibration, definitionPath, reportPath };
}
