/**
 * `rcoi calibrate thresholds`: the doubt thresholds against labelled scans. Each page is read once into raw
 * measures (bubble fills, character reads with their confidence); the decision rules are then replayed for a
 * range of thresholds, giving the trade-off between wrong values accepted without a doubt and the share sent
 * to a human. The recommendation is the least verification that accepts no error (or the fewest).
 */

import { readFile } from 'node:fs/promises';
import { shippedAnswers } from '../forms/answer-types.ts';
import { type BubblesInstance, expandForm, type FormDefinition } from '../forms/definitions.ts';
import { answerTypeOfField } from '../pipeline/answers.ts';
import { alignBubbleBlocks } from '../pipeline/bubble-align.ts';
import {
  BUBBLE_THRESHOLDS,
  type BubbleMeasure,
  type BubbleThresholds,
  bubbleThresholds,
  decideBubbles,
  markedRects,
  measureSheetBubbles,
  sheetBubbleStats,
} from '../pipeline/bubbles.ts';
import { fieldAccept, readCells } from '../pipeline/cells.ts';
import { loadCharacterModel } from '../pipeline/character-model.ts';
import { isReduced, openSource, PageRejection } from '../pipeline/decode.ts';
import type { GreyImage } from '../pipeline/image.ts';
import { paperLevel } from '../pipeline/image.ts';
import { findAnchorCandidates, registerForm } from '../pipeline/register.ts';
import { pageNeeds } from '../pipeline/resolution.ts';
import type { DoubtReason, RecognisedField } from '../pipeline/result.ts';
import { turnsByBlocks, wayUp } from '../pipeline/way-up.ts';
import type { SheetTruth } from '../samples/generate.ts';
import { characterErrors } from '../samples/truth.ts';

/** Marginal-band half-widths, widest (most verification) first. */
export const BAND_SWEEP = [0.2, 0.18, 0.16, 0.14, 0.12, 0.1, 0.08, 0.06, 0.04];
/** Character accept thresholds, strictest first. */
export const ACCEPT_SWEEP = [0.999, 0.995, 0.99, 0.98, 0.97, 0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5];

interface BubbleSample {
  field: BubblesInstance;
  measures: BubbleMeasure[];
  truth: string;
  /** Its block was not found near its place: recognition doubts it whatever the thresholds. */
  misfit: boolean;
}

/** One page's bubbles: the sheet threshold is found over all of them, the sweep scores the labelled ones. */
export interface PageBubbles {
  fills: number[];
  /** On a self-calibrated form (`bubbleEmpty: 'sheet'`), the rings in the order of `fills`. */
  rings?: number[];
  fields: BubbleSample[];
}

export interface CharacterSample {
  field: string;
  symbol: string;
  confidence: number;
  blank: boolean;
  /** The character the truth has in this cell, '' for none. */
  truth: string;
  /** How many answers its field stands for (see Weights). */
  weight: number;
}

/** One labelled reading of a cells or link field, reduced to what the accept threshold decides on. */
export interface FieldSample {
  field: string;
  /** Characters the truth has (1 for an empty field), as the recognition bench counts them. */
  units: number;
  /** Characters of the read value that differ from the truth (samples/truth.ts characterErrors). */
  wrong: number;
  /** A doubt any threshold keeps (a gap, writing across cells, a homoglyph of unknown script). */
  fixedDoubt: boolean;
  /** Least confidence among the field's written cells; 1 when none is written. */
  minConfidence: number;
  /** How many answers it stands for (see Weights). */
  weight: number;
}

/**
 * Weights: a labelled scan stands for itself (1). An answer verified because it was drawn for the control
 * sample at share s stands for 1/s answers accepted unseen, of which it is a random draw; an answer verified
 * because it was doubted stands for itself, since every doubted answer is verified. Tables built on verified
 * answers are thus estimates of the whole season, not counts of the sample.
 */
export type Weights = Record<string, number>;

/** A page's labels: the true value of each field that has one (fields without are left out). */
export type PageLabels = Pick<SheetTruth, 'form' | 'fields'>;

/** The doubts reading a field's cells raises, which the replay raises again at each threshold. */
const CELL_DOUBTS: ReadonlySet<string> = new Set<DoubtReason>([
  'low-confidence-character',
  'ambiguous-script',
  'gap-in-answer',
  'written-across-cells',
  'not-of-type',
  'marks-only',
]);

/**
 * Whether recognition doubted a field for a reason beyond its cells (a replacement row that does not add up,
 * a link's check digit): one the replay does not raise, so that field is verified at every threshold.
 */
export const doubtBeyondCells = (doubt: readonly string[]): boolean => doubt.some((d) => !CELL_DOUBTS.has(d));

export interface ThresholdMeasures {
  pages: number;
  skipped: { source: string; reason: string }[];
  bubbles: PageBubbles[];
  characters: CharacterSample[];
  fields: FieldSample[];
  /** Why characters were not measured, when they were not. */
  charactersSkipped?: string;
}

/** Whether the character model can be loaded; the reason when it cannot. */
function characterModelProblem(): string | null {
  try {
    loadCharacterModel();
    return null;
  } catch (err) {
    return `character model not available (${(err as Error).message.split('\n')[0]})`;
  }
}

/** Registers a labelled page and reads its raw measures; the reason when the page cannot be used. */
export function measureLabelledPage(
  img: GreyImage,
  def: FormDefinition,
  truth: PageLabels,
  withCharacters: boolean,
  weights: Weights = {},
  /** Fields recognition doubted beyond their cells (doubtBeyondCells): verified at every threshold. */
  beyondCells: ReadonlySet<string> = new Set(),
): { bubbles: PageBubbles; characters: CharacterSample[]; fields: FieldSample[] } | string {
  if (truth.form !== def.id) return `labelled as form ${truth.form}, not ${def.id}`;
  const r = registerForm(img, def, def.registration === 'anchors' ? findAnchorCandidates(img, [def]) : null);
  if (!r.ok) return `${r.failure.reason}: ${r.failure.detail}`;
  const paper = paperLevel(img);
  const characters: CharacterSample[] = [];
  const fields: FieldSample[] = [];
  // As recognition reads them: the way up the blocks say on corner marks; on a calibrated form, above each
  // bubble's own empty level.
  const form = expandForm(def);
  const way = turnsByBlocks(def) ? wayUp(img, form, r.registration, paper) : null;
  if (way && 'reason' in way) return `${way.reason}: ${way.detail}`;
  const t = way?.reg.transform ?? r.registration.transform;
  const bubbleFields = form.fields.filter((f): f is BubblesInstance => f.kind === 'bubbles');
  const aligned = way?.aligned ?? alignBubbleBlocks(img, t, def, bubbleFields, paper);
  const sheet = measureSheetBubbles(img, t, def, aligned, paper);
  const bubbles: PageBubbles = {
    fills: sheet.fills,
    ...(sheet.rings && { rings: sheet.rings }),
    fields: [],
  };
  sheet.fields.forEach((f, i) => {
    const label = truth.fields[f.name];
    if (label && !label.ambiguous)
      bubbles.fields.push({
        field: f,
        measures: sheet.measures[i] ?? [],
        truth: label.value,
        misfit: sheet.poor.has(f.name),
      });
  });
  // Answers are decided under their tasks' types, as recognisePage reads them: from what was read before, each
  // field at its own threshold (a pre-printed subject at the model's).
  const before: Record<string, RecognisedField> = {};
  const subject = form.byName.get(def.answers?.subjectField ?? '');
  if (subject?.kind === 'cells' && withCharacters)
    before[subject.name] = readCells(img, t, subject, paper, fieldAccept(def, subject)).field;
  for (const f of form.fields) {
    const label = truth.fields[f.name];
    if ((f.kind === 'cells' || f.kind === 'link') && withCharacters && label) {
      // Threshold 0 leaves out the low-confidence doubt: what remains is the doubt no threshold removes.
      const type = answerTypeOfField(form, f.name, before, shippedAnswers());
      const reading = readCells(img, t, f, paper, 0, type);
      // A replacement row's task types its answer only when read without doubt at the form's threshold.
      if (f.template === def.answers?.replacement?.task)
        before[f.name] = readCells(img, t, f, paper, fieldAccept(def, f)).field;
      const written = reading.reads.filter((r) => !r.blank);
      const weight = weights[f.name] ?? 1;
      fields.push({
        field: f.name,
        units: Math.max(1, [...label.value].length),
        wrong: characterErrors(reading.field.value, label.value),
        fixedDoubt: reading.field.doubt.length > 0 || beyondCells.has(f.name),
        minConfidence: Math.min(1, ...written.map((r) => r.confidence)),
        weight,
      });
      if (label.overflow) continue;
      const expected = [...label.value];
      reading.reads.forEach((read, i) => {
        characters.push({
          field: f.name,
          symbol: read.symbol,
          confidence: read.confidence,
          blank: read.blank,
          truth: expected[i] ?? '',
          weight,
        });
      });
    }
  }
  return { bubbles, characters, fields };
}

export interface SweepRow {
  /** The swept threshold. */
  value: number;
  items: number;
  verified: number;
  verifiedShare: number;
  accepted: number;
  /** Wrong values accepted without a doubt. */
  acceptedErrors: number;
  errorRate: number;
}

function row(value: number, items: number, verified: number, acceptedErrors: number): SweepRow {
  const accepted = items - verified;
  return {
    value,
    items,
    verified,
    verifiedShare: items ? verified / items : 0,
    accepted,
    acceptedErrors,
    errorRate: accepted ? acceptedErrors / accepted : 0,
  };
}

/**
 * Bubble fields sent to verification, and wrong ones accepted, for each marginal-band half-width. Each page's
 * threshold is found as recognition finds it today: sheetBubbleStats also uses the band (a gap narrower than it
 * keeps the default threshold), and sweeping that too would mix a second effect into the table.
 */
export function sweepBubbles(
  pages: PageBubbles[],
  bands: number[] = BAND_SWEEP,
  base: BubbleThresholds = BUBBLE_THRESHOLDS,
): SweepRow[] {
  const sheets = pages.map((p) => {
    const stats = sheetBubbleStats(p.fills, base, p.rings);
    const marked = markedRects(
      p.fields.map((f) => f.field),
      p.fields.map((f) => f.measures),
      stats,
    );
    return { ...p, stats, marked };
  });
  return bands.map((marginal) => {
    const thresholds = { ...base, marginal };
    let items = 0;
    let verified = 0;
    let wrong = 0;
    for (const page of sheets) {
      for (const s of page.fields) {
        const read = decideBubbles(s.field, s.measures, page.stats, thresholds, page.marked);
        items++;
        if (read.doubt.length > 0 || s.misfit) verified++;
        else if (read.value !== s.truth) wrong++;
      }
    }
    return row(marginal, items, verified, wrong);
  });
}

/**
 * Characters sent to verification, and wrong ones accepted, for each accept threshold. Cells both read and
 * labelled blank are left out: they are most cells and say nothing about the threshold. A blank read of a
 * written cell is accepted whatever the threshold (blank reads have confidence 1).
 */
export function sweepCharacters(samples: CharacterSample[], accepts: number[] = ACCEPT_SWEEP): SweepRow[] {
  const relevant = samples.filter((s) => !s.blank || s.truth !== '');
  const items = relevant.reduce((n, s) => n + s.weight, 0);
  return accepts.map((accept) => {
    let verified = 0;
    let wrong = 0;
    for (const s of relevant) {
      if (!s.blank && s.confidence < accept) verified += s.weight;
      else if (s.symbol !== s.truth) wrong += s.weight;
    }
    return row(accept, items, verified, wrong);
  });
}

/**
 * The sweep as recognition decides it: a field goes to verification as a whole when any written cell is below
 * the threshold or a doubt no threshold removes is raised, so all its characters count as verified; a wrong
 * character is accepted only when its whole field is.
 */
export function sweepCharacterFields(fields: FieldSample[], accepts: number[] = ACCEPT_SWEEP): SweepRow[] {
  return accepts.map((accept) => {
    let items = 0;
    let verified = 0;
    let wrong = 0;
    for (const f of fields) {
      items += f.units * f.weight;
      if (f.fixedDoubt || f.minConfidence < accept) verified += f.units * f.weight;
      else wrong += Math.min(f.wrong, f.units) * f.weight;
    }
    return row(accept, items, verified, wrong);
  });
}

/**
 * The least verification whose accepted error rate stays within `budget`; the row with the fewest errors
 * when none does.
 */
export function recommendWithin(rows: SweepRow[], budget: number): SweepRow | undefined {
  let best: SweepRow | undefined;
  for (const r of rows) if (r.errorRate <= budget && (!best || r.verified < best.verified)) best = r;
  return best ?? recommend(rows);
}

/**
 * The row with the fewest accepted errors, and among those the least verification; rows come strictest first,
 * so a tie keeps the stricter value.
 */
export function recommend(rows: SweepRow[]): SweepRow | undefined {
  let best: SweepRow | undefined;
  for (const r of rows) {
    if (
      !best ||
      r.acceptedErrors < best.acceptedErrors ||
      (r.acceptedErrors === best.acceptedErrors && r.verified < best.verified)
    ) {
      best = r;
    }
  }
  return best;
}

export interface ThresholdCalibration {
  form: string;
  measures: ThresholdMeasures;
  bubbles: { rows: SweepRow[]; current: number; recommended?: SweepRow };
  characters?: {
    rows: SweepRow[];
    /** The field-level sweep: what recognition sends to verification and accepts at each threshold. */
    fieldRows: SweepRow[];
    current: number;
    /** From the field-level sweep, within CHARACTER_ERROR_BUDGET. */
    recommended?: SweepRow;
  };
}

/**
 * Accepted characters that may be wrong when a threshold is recommended: a fifth of the 0.1% the recognition
 * targets allow, so that a calibration set's luck does not spend the whole budget.
 */
export const CHARACTER_ERROR_BUDGET = 0.0002;

/** The sweep with the current value in it, so that its row is in the table. */
function withCurrent(sweep: number[], current: number): number[] {
  return [...new Set([...sweep, current])].sort((a, b) => b - a);
}

export function calibrateThresholds(def: FormDefinition, measures: ThresholdMeasures): ThresholdCalibration {
  const base = bubbleThresholds(def);
  const band = base.marginal;
  const bubbleRows = sweepBubbles(measures.bubbles, withCurrent(BAND_SWEEP, band), base);
  const out: ThresholdCalibration = {
    form: def.id,
    measures,
    bubbles: { rows: bubbleRows, current: band, recommended: recommend(bubbleRows) },
  };
  if (measures.charactersSkipped === undefined) {
    const accept = def.thresholds.characterAccept ?? loadCharacterModel().header.acceptThreshold;
    const sweep = withCurrent(ACCEPT_SWEEP, accept);
    const fieldRows = sweepCharacterFields(measures.fields, sweep);
    out.characters = {
      rows: sweepCharacters(measures.characters, sweep),
      fieldRows,
      current: accept,
      recommended: recommendWithin(fieldRows, CHARACTER_ERROR_BUDGET),
    };
  }
  return out;
}

/** One labelled page to measure: where it is from (for the report), the page in its file, and a way to load it. */
export interface LabelledPage {
  source: string;
  page: number;
  /**
   * The file's bytes, the page's labels and what its answers stand for; or why the page cannot be used (no
   * labels, its image gone). A failure to fetch it is thrown, never taken for a page to skip.
   */
  load(): Promise<
    { bytes: Uint8Array; labels: PageLabels; weights?: Weights; beyondCells?: Set<string> } | { skip: string }
  >;
}

/** Measures labelled pages, each decoded as recognition decodes it. */
export async function measureLabelled(
  def: FormDefinition,
  pages: Iterable<LabelledPage>,
): Promise<ThresholdMeasures> {
  const hasCells = expandForm(def).fields.some((f) => f.kind === 'cells' || f.kind === 'link');
  const modelProblem = hasCells ? characterModelProblem() : null;
  const measures: ThresholdMeasures = { pages: 0, skipped: [], bubbles: [], characters: [], fields: [] };
  if (!hasCells) measures.charactersSkipped = `form ${def.id} has no character cells`;
  else if (modelProblem) measures.charactersSkipped = modelProblem;
  const withCharacters = measures.charactersSkipped === undefined;
  for (const { source, page: index, load } of pages) {
    const loaded = await load();
    if ('skip' in loaded) {
      measures.skipped.push({ source, reason: loaded.skip });
      continue;
    }
    const { bytes, labels, weights, beyondCells } = loaded;
    let page: ReturnType<typeof measureLabelledPage>;
    try {
      // Decoded as recognition decodes it, and measured again at full size where the smaller copy failed.
      const src = await openSource(bytes);
      const decoded = await src.pageFor(index, pageNeeds([def]));
      page = measureLabelledPage(decoded.image, def, labels, withCharacters, weights, beyondCells);
      if (typeof page === 'string' && isReduced(decoded))
        page = measureLabelledPage(await src.page(index), def, labels, withCharacters, weights, beyondCells);
    } catch (err) {
      if (!(err instanceof PageRejection)) throw err;
      measures.skipped.push({ source, reason: `${err.reason}: ${err.message}` });
      continue;
    }
    if (typeof page === 'string') {
      measures.skipped.push({ source, reason: page });
      continue;
    }
    measures.pages++;
    measures.bubbles.push(page.bubbles);
    measures.characters.push(...page.characters);
    measures.fields.push(...page.fields);
  }
  return measures;
}

/** Reads each labelled image (NAME.ext with NAME.json beside it, as `rcoi generate` writes them). */
export function measureLabelledFiles(def: FormDefinition, images: string[]): Promise<ThresholdMeasures> {
  return measureLabelled(
    def,
    images.map((source) => ({
      source,
      page: 0,
      load: async () => {
        let labels: PageLabels;
        try {
          labels = JSON.parse(await readFile(source.replace(/\.[^./]+$/, '.json'), 'utf8')) as PageLabels;
        } catch (err) {
          return { skip: `no ground truth: ${(err as Error).message.split('\n')[0]}` };
        }
        return { bytes: await readFile(source), labels };
      },
    })),
  );
}

const pct = (v: number, digits = 1) => `${(v * 100).toFixed(digits)}%`.padStart(7);

/** A count, or a weighted estimate of one, as a whole number. */
const count = (n: number) => String(Math.round(n));

function table(name: string, rows: SweepRow[], current: number, digits: number): string[] {
  const lines = [`${name.padStart(9)}  items  verified   share  accepted  wrong  error rate`];
  for (const r of rows) {
    lines.push(
      `${r.value.toFixed(digits).padStart(7)}${r.value === current ? ' *' : '  '}${count(r.items).padStart(7)}` +
        `${count(r.verified).padStart(10)} ${pct(r.verifiedShare)}${count(r.accepted).padStart(10)}` +
        `${count(r.acceptedErrors).padStart(7)}    ${pct(r.errorRate, 3)}`,
    );
  }
  return lines;
}

function advice(
  what: string,
  rec: SweepRow | undefined,
  current: number,
  digits: number,
  budget?: number,
): string {
  if (!rec || rec.items === 0) return `${what}: nothing to calibrate on`;
  const errors =
    rec.acceptedErrors === 0
      ? 'no accepted errors'
      : budget !== undefined && rec.errorRate <= budget
        ? `${count(rec.acceptedErrors)} accepted error(s), within the ${pct(budget, 2).trim()} budget`
        : `${count(rec.acceptedErrors)} accepted error(s), the fewest`;
  return (
    `recommended ${what} ${rec.value.toFixed(digits)} (current ${current.toFixed(digits)}): ` +
    `${pct(rec.verifiedShare).trim()} to verification, ${errors}`
  );
}

export function formatThresholdReport(c: ThresholdCalibration): string {
  const m = c.measures;
  const lines = [`form ${c.form}: ${m.pages} labelled page(s) measured, ${m.skipped.length} skipped`];
  for (const s of m.skipped) lines.push(`  skipped ${s.source}: ${s.reason}`);
  const fields = c.bubbles.rows[0]?.items ?? 0;
  lines.push(
    '',
    `bubble fields: ${fields} (ambiguous ones left out), each page's threshold as recognition finds it; ` +
      '* = current marginal band',
  );
  lines.push(...table('band', c.bubbles.rows, c.bubbles.current, 2));
  lines.push(advice('marginal band', c.bubbles.recommended, c.bubbles.current, 2), '');
  if (!c.characters) lines.push(`characters: skipped, ${m.charactersSkipped}`);
  else {
    const n = c.characters.rows[0]?.items ?? 0;
    lines.push(`characters one by one: ${n} written or read cells; * = current accept threshold`);
    lines.push(...table('accept', c.characters.rows, c.characters.current, 3));
    lines.push(
      '',
      'characters as recognition decides them (a field with one doubtful cell is verified whole):',
    );
    lines.push(...table('accept', c.characters.fieldRows, c.characters.current, 3));
    lines.push(
      advice('accept threshold', c.characters.recommended, c.characters.current, 3, CHARACTER_ERROR_BUDGET),
    );
  }
  return lines.join('\n');
}
