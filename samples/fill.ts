/**
 * Fills a form with known content, like a participant would, and records the ground truth. Every choice is
 * drawn from a seeded Rng, so a page is reproducible from (form, seed).
 */

import { ALPHABETS } from '../forms/alphabets.ts';
import { type AnswerType, shippedAnswers, TYPE_PATTERN, TYPE_SYMBOLS } from '../forms/answer-types.ts';
import type {
  BubblesInstance,
  CellsInstance,
  ExpandedForm,
  LinkInstance,
  Rect,
  WritingInstance,
} from '../forms/definitions.ts';
import { answerTypeOfField } from '../pipeline/answers.ts';
import type { RecognisedField } from '../pipeline/result.ts';
import { ean13WithCheckDigit } from '../render/barcodes.ts';
import { type GreyImage, inkPixel, PX_PER_MM } from '../render/form.ts';
import { type GlyphStyle, placeGlyph, randomGlyphStyle, rasterizeStrokes } from './glyphs.ts';
import type { Rng } from './rng.ts';

type Point = [number, number];

/**
 * How a bubble was marked. `erased` leaves light residue; `cancelled` is a mark with a cross over it; `pencil`
 * is a light, grainy pencil fill (graphite leaves the paper's grain showing through).
 */
export type MarkStyle = 'solid' | 'light' | 'partial' | 'tick' | 'cross' | 'erased' | 'cancelled' | 'pencil';

export interface FieldTruth {
  /** What a careful human reads: cell text, or selected bubble labels in order ('' when empty). */
  value: string;
  /** The generator drew something a human would query (multi-mark, cancelled mark, overflowing answer…). */
  ambiguous?: boolean;
  /** Bubble mark styles by label, for per-style accuracy figures. */
  marks?: Record<string, MarkStyle>;
  /** Cell text written across the cells, ignoring them. */
  overflow?: boolean;
}

export interface FillOptions {
  /** Share of cell fields left empty. */
  emptyRate?: number;
  /** Marks beyond plain solid ones: light, partial, ticks, crosses, erasures, cancellations, multi-marks. */
  difficultMarks?: boolean;
  /** Every chosen bubble is marked in this style (no erasures, cancellations or multi-marks besides). */
  markStyle?: MarkStyle;
  /** AS2 sheets: blank with a "Z" strike instead of writing. */
  blank?: boolean;
  /** What to write in link fields ('' for none), e.g. to chain an additional AS2 to a given sheet. */
  links?: Record<string, string>;
  /**
   * Write exactly these cell fields and leave every other field blank: a form printed with its own content
   * (a checking protocol) filled in by hand. A pre-printed field named here is printed (an AS1's subject).
   */
  exactly?: Record<string, string>;
  /** These cell fields hold these texts (a participant's answers the simulation chose); the rest as usual. */
  values?: Record<string, string>;
  /** Writes each character of a cell field instead of the stroke font (bench/handwriting.ts: real tiles). */
  cellWriter?: CellWriter;
}

/** Draws `ch` into the cell `cell` (mm) of a 300-dpi page with ink of grey `ink`. */
export type CellWriter = (page: GreyImage, ch: string, cell: Rect, ink: number, rng: Rng) => void;

/** A participant's hand: consistent size, stroke and ink across the sheet, with per-glyph variation on top. */
interface Hand {
  heightFrac: number;
  strokeMm: number;
  ink: number;
}

function newHand(rng: Rng): Hand {
  return { heightFrac: rng.range(0.6, 0.78), strokeMm: rng.range(0.5, 0.72), ink: rng.int(0, 45) };
}

function drawStrokes(
  page: GreyImage,
  strokes: Point[][],
  strokePx: number,
  cx: number,
  cy: number,
  grey: number,
): void {
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (const s of strokes) {
    for (const [x, y] of s) {
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
    }
  }
  if (!Number.isFinite(minX)) return;
  const pad = Math.ceil(strokePx) + 2;
  const x0 = Math.floor(cx + minX) - pad;
  const y0 = Math.floor(cy + minY) - pad;
  const w = Math.ceil(maxX - minX) + 2 * pad;
  const h = Math.ceil(maxY - minY) + 2 * pad;
  const tile = rasterizeStrokes(strokes, strokePx, w, h, cx - x0, cy - y0);
  for (let ty = 0; ty < h; ty++) {
    for (let tx = 0; tx < w; tx++) {
      const v = tile[ty * w + tx] ?? 255;
      if (v < 255) inkPixel(page, x0 + tx, y0 + ty, grey, (255 - v) / 255);
    }
  }
}

function drawGlyph(
  page: GreyImage,
  ch: string,
  hand: Hand,
  heightMm: number,
  cxMm: number,
  cyMm: number,
  rng: Rng,
): void {
  const strokePx = hand.strokeMm * PX_PER_MM * rng.range(0.9, 1.1);
  const style: GlyphStyle = randomGlyphStyle(rng, { heightPx: heightMm * PX_PER_MM, strokePx });
  const strokes = placeGlyph(ch, style, rng);
  drawStrokes(page, strokes, strokePx, cxMm * PX_PER_MM, cyMm * PX_PER_MM, hand.ink);
}

function cellGlyphPlace(r: Rect, hand: Hand, rng: Rng): { h: number; cx: number; cy: number } {
  // The glyph box is centred in the cell; the font itself puts a comma low and a minus at mid height.
  const jitter = () => Math.max(-0.35, Math.min(0.35, rng.normal(0, 0.15)));
  const h = r.h * hand.heightFrac * rng.range(0.93, 1.07);
  return { h, cx: r.x + r.w / 2 + jitter(), cy: r.y + r.h / 2 + jitter() };
}

export function writeInCells(
  page: GreyImage,
  text: string,
  rects: Rect[],
  hand: Hand,
  rng: Rng,
  writer?: CellWriter,
): void {
  [...text].forEach((ch, i) => {
    const r = rects[i];
    if (!r) return;
    if (writer) {
      writer(page, ch, r, hand.ink, rng);
      return;
    }
    const p = cellGlyphPlace(r, hand, rng);
    drawGlyph(page, ch, hand, p.h, p.cx, p.cy, rng);
  });
}

/** A long answer written along the row, ignoring the cells (allowed on EGE AS1 for answers over 17 characters). */
function writeAcross(page: GreyImage, text: string, rects: Rect[], hand: Hand, rng: Rng): void {
  const first = rects[0];
  const last = rects[rects.length - 1];
  if (!first || !last) return;
  const span = last.x + last.w - first.x;
  const pitch = span / text.length;
  const h = Math.min(first.h * 0.6, pitch * 1.5);
  [...text].forEach((ch, i) => {
    drawGlyph(page, ch, hand, h, first.x + pitch * (i + 0.5), first.y + first.h / 2, rng);
  });
}

function fillEllipse(
  page: GreyImage,
  r: Rect,
  grey: number,
  scale: number,
  rng: Rng,
  fraction = 1,
  grain = 0,
): void {
  const cx = (r.x + r.w / 2) * PX_PER_MM;
  const cy = (r.y + r.h / 2) * PX_PER_MM;
  const rx = (r.w / 2) * PX_PER_MM * scale;
  const ry = (r.h / 2) * PX_PER_MM * scale;
  const wobble = [rng.range(-0.08, 0.08), rng.range(0, Math.PI * 2)] as const;
  // A partial mark covers the lower part of the bubble: a hurried fill.
  const yLimit = cy + ry - 2 * ry * fraction;
  for (let y = Math.floor(cy - ry - 2); y <= Math.ceil(cy + ry + 2); y++) {
    for (let x = Math.floor(cx - rx - 2); x <= Math.ceil(cx + rx + 2); x++) {
      const a = Math.atan2(y - cy, x - cx);
      const edge = 1 + wobble[0] * Math.sin(3 * a + wobble[1]);
      const d = Math.hypot((x - cx) / rx, (y - cy) / ry) / edge;
      if (y < yLimit) continue;
      const cov = Math.max(0, Math.min(1, (1 - d) * Math.min(rx, ry) + 0.5));
      inkPixel(page, x, y, grey, grain > 0 ? cov * (1 - grain * rng.next()) : cov);
    }
  }
}

function markBubble(page: GreyImage, r: Rect, style: MarkStyle, hand: Hand, rng: Rng): void {
  const cx = (r.x + r.w / 2) * PX_PER_MM;
  const cy = (r.y + r.h / 2) * PX_PER_MM;
  const w = r.w * PX_PER_MM;
  const h = r.h * PX_PER_MM;
  const pen = hand.strokeMm * PX_PER_MM;
  const dark = hand.ink + rng.int(0, 30);
  const cross = (k: number): Point[][] => [
    [
      [-w * k, -h * k],
      [w * k, h * k],
    ],
    [
      [w * k, -h * k],
      [-w * k, h * k],
    ],
  ];
  const tick: Point[][] = [
    [
      [-w * 0.35, 0],
      [-w * 0.08, h * 0.4],
      [w * 0.45, -h * 0.6],
    ],
  ];
  if (style === 'solid') fillEllipse(page, r, dark, rng.range(0.85, 1.1), rng);
  else if (style === 'light') fillEllipse(page, r, rng.int(95, 140), rng.range(0.85, 1.05), rng);
  else if (style === 'partial') fillEllipse(page, r, dark, rng.range(0.9, 1.05), rng, rng.range(0.55, 0.75));
  else if (style === 'pencil') fillEllipse(page, r, rng.int(110, 150), rng.range(0.85, 1.05), rng, 1, 0.5);
  else if (style === 'erased') fillEllipse(page, r, rng.int(205, 230), rng.range(0.9, 1.1), rng);
  else if (style === 'tick') drawStrokes(page, tick, pen, cx, cy, hand.ink);
  else if (style === 'cross') drawStrokes(page, cross(0.5), pen, cx, cy, hand.ink);
  else {
    // Cancelled: a filled bubble crossed out past its outline.
    fillEllipse(page, r, dark, rng.range(0.9, 1.05), rng);
    drawStrokes(page, cross(0.85), pen, cx, cy, hand.ink);
  }
}

/** Russian words the generator writes (every capital of the alphabet among them, Ё included). */
export const RUSSIAN_WORDS = [
  'УДАЧНЫЕПРОВАЛЬНЫЕ',
  'АБВ',
  'ГЛАГОЛ',
  'ЁЖИК',
  'ЩЕЛЬ',
  'ПРИСТАВКА',
  'ЮЖНЫЙ',
  'ЭХО',
  'ЪЕЗД',
  'ЦАПЛЯ',
  'ФЫРК',
];
const WORDS_EN = ['STARRING', 'DOESNOTBREAK', 'QUIZ', 'WAX', 'JUMPY', 'VEX'];

/** A plausible short answer of the given alphabet (and `pattern`, when given), at most `max` characters. */
export function randomAnswer(rng: Rng, allowed: string, max: number, pattern = /./): string {
  const only = (s: string) => [...s].every((c) => allowed.includes(c)) && pattern.test(s);
  const candidates: (() => string)[] = [
    () => String(rng.int(0, 9999)),
    () => `-${rng.int(1, 99)}`,
    () => `${rng.int(0, 99)},${rng.int(0, 99)}`,
    () => `-${rng.int(0, 9)},${rng.int(1, 99)}`,
    () => String(rng.int(100000, 999999)),
    () => rng.pick(RUSSIAN_WORDS),
    () => rng.pick(WORDS_EN),
    // Random letters, all of one script: answers are words or numbers, and a handwritten Latin M cannot be
    // told from a Cyrillic М, so a mixed string would have no knowable truth.
    () => {
      const scripts = [ALPHABETS.cyrillic, ALPHABETS.latin, ALPHABETS.digits]
        .map((script) => [...script].filter((c) => allowed.includes(c)))
        .filter((pool) => pool.length > 0);
      const pool = rng.pick(scripts);
      return Array.from({ length: rng.int(1, Math.min(max, 12)) }, () => rng.pick(pool)).join('');
    },
  ];
  for (let tries = 0; tries < 20; tries++) {
    const s = rng.pick(candidates)();
    if (s.length <= max && only(s)) return s;
  }
  return Array.from({ length: Math.min(max, 3) }, () => allowed[rng.int(0, allowed.length - 1)]).join('');
}

function fillBubbles(
  page: GreyImage,
  f: BubblesInstance,
  hand: Hand,
  rng: Rng,
  opts: FillOptions,
): FieldTruth {
  const pick = () => rng.int(0, f.labels.length - 1);
  const hard = opts.markStyle === undefined && (opts.difficultMarks ?? true);
  const chosen = new Set<number>();
  const roll = rng.next();
  // A lone checkbox (organisers' "removed from the exam" mark) is rarely ticked; a question rarely left blank.
  if (f.labels.length === 1 ? roll < 0.97 : roll < 0.06) {
    // left empty
  } else if (hard && roll < 0.08) {
    chosen.add(pick());
    chosen.add(pick());
  } else chosen.add(pick());
  if (f.multiple && rng.chance(0.3)) chosen.add(pick());

  const marks: Record<string, MarkStyle> = {};
  let ambiguous = !f.multiple && chosen.size > 1;
  for (const i of chosen) {
    const s = rng.next();
    // Most marks are solid; the rest are the difficult cases a scanner sees every day.
    const style: MarkStyle = !hard
      ? (opts.markStyle ?? 'solid')
      : s < 0.9
        ? 'solid'
        : s < 0.93
          ? 'light'
          : s < 0.96
            ? 'partial'
            : s < 0.98
              ? 'tick'
              : 'cross';
    marks[f.labels[i] ?? ''] = style;
  }
  if (hard && rng.chance(0.03)) {
    const i = pick();
    if (!chosen.has(i)) marks[f.labels[i] ?? ''] = rng.chance(0.5) ? 'erased' : 'cancelled';
    if (marks[f.labels[i] ?? ''] === 'cancelled') ambiguous = true;
  }
  f.labels.forEach((label, i) => {
    const style = marks[label];
    const r = f.rects[i];
    if (style && r) markBubble(page, r, style, hand, rng);
  });
  const value = f.labels.filter((_, i) => chosen.has(i)).join('');
  return { value, marks, ...(ambiguous && { ambiguous }) };
}

function fillCells(
  page: GreyImage,
  f: CellsInstance | LinkInstance,
  text: string,
  hand: Hand,
  rng: Rng,
  writer?: CellWriter,
): FieldTruth {
  const overflow = text.length > f.rects.length;
  if (overflow) writeAcross(page, text, f.rects, hand, rng);
  else writeInCells(page, text, f.rects, hand, rng, writer);
  return { value: text, ...(overflow && { overflow, ambiguous: true }) };
}

/** Pseudo-handwriting: wavy strokes along lines, enough to tell a written AS2 from a blank one. */
function fillWriting(page: GreyImage, f: WritingInstance, hand: Hand, rng: Rng, blank: boolean): FieldTruth {
  const a = f.area;
  const pen = hand.strokeMm * PX_PER_MM;
  if (blank) {
    // Organisers strike unused space with a "Z".
    const m = 5;
    const z: Point[] = [
      [a.x + m, a.y + m],
      [a.x + a.w - m, a.y + m],
      [a.x + m, a.y + a.h - m],
      [a.x + a.w - m, a.y + a.h - m],
    ].map(([x, y]) => [(x ?? 0) * PX_PER_MM, (y ?? 0) * PX_PER_MM]);
    drawStrokes(page, [z], pen, 0, 0, hand.ink);
    return { value: '' };
  }
  const lines = Math.max(1, Math.floor((a.h - 10) / 9) - rng.int(0, 6));
  for (let l = 0; l < lines; l++) {
    const y = (a.y + 8 + l * 9) * PX_PER_MM;
    let x = (a.x + 5 + rng.range(0, 8)) * PX_PER_MM;
    const end = (a.x + a.w - 5 - rng.range(0, l === lines - 1 ? a.w * 0.6 : 15)) * PX_PER_MM;
    while (x < end - 3 * PX_PER_MM) {
      const wordLen = Math.min(rng.range(6, 22) * PX_PER_MM, end - x);
      const pts: Point[] = [];
      for (let t = 0; t <= wordLen; t += 4) {
        pts.push([x + t, y + Math.sin(t / rng.range(5, 9)) * 2.2 * PX_PER_MM + rng.normal(0, 2)]);
      }
      drawStrokes(page, [pts], pen, 0, 0, hand.ink);
      x += wordLen + rng.range(2.5, 5) * PX_PER_MM;
    }
  }
  return { value: 'written' };
}

const SURNAMES = [
  'ИВАНОВА',
  'ПЕТРОВ',
  'СМИРНОВ',
  'КУЗНЕЦОВА',
  'ЁЛКИН',
  'ЩЕРБАКОВ',
  'ЖУКОВ',
  'ЮДИНА',
  'ЭЙХЕ',
  'ФЁДОРОВ',
];
const NAMES = [
  'АННА',
  'ПЁТР',
  'ЮЛИЯ',
  'МАКСИМ',
  'ЭЛЬВИРА',
  'ЯРОСЛАВ',
  'ЦВЕТАНА',
  'ШАМИЛЬ',
  'АЛЕКСАНДР',
  'ЖАННА',
];
const PATRONYMICS = ['ИВАНОВИЧ', 'СЕРГЕЕВНА', 'ПЕТРОВНА', 'ЮРЬЕВИЧ', 'ЭДУАРДОВИЧ', 'ФЁДОРОВНА', 'ЯКОВЛЕВИЧ'];

/** A participant answers a typed task with an answer of its type (a number in mathematics, a word…). */
function answerOfType(rng: Rng, f: CellsInstance, type: AnswerType = 'free'): string {
  const n = f.rects.length;
  return type === 'free'
    ? randomAnswer(rng, f.allowed, n)
    : randomAnswer(rng, TYPE_SYMBOLS[type], n, TYPE_PATTERN[type]);
}

/**
 * What a participant or organiser writes in a cell field. Repeated fields (answers, scores) may be left blank;
 * codes fill every cell; names come from name lists, sometimes double-barrelled.
 */
function cellText(f: CellsInstance, rng: Rng, emptyRate: number, type?: AnswerType): string {
  const n = f.rects.length;
  if (f.name !== f.template && rng.chance(emptyRate)) return '';
  if (f.mayOverflow && rng.chance(0.02))
    return `${randomAnswer(rng, ALPHABETS.digits, 9)}${randomAnswer(rng, ALPHABETS.digits, 9)}0`;
  if (f.mayOverflow) return answerOfType(rng, f, type);
  if ([...f.allowed].every((c) => ALPHABETS.digits.includes(c))) {
    return Array.from({ length: n }, () => rng.int(0, 9)).join('');
  }
  if (f.allowed === ALPHABETS.name) {
    const list = f.name === 'name' ? NAMES : f.name === 'patronymic' ? PATRONYMICS : SURNAMES;
    const value = rng.chance(0.1) ? `${rng.pick(list)}-${rng.pick(list)}` : rng.pick(list);
    return value.slice(0, n);
  }
  return randomAnswer(rng, f.allowed, n);
}

/** Preset contents for the EGE header: what the printing system overprints. */
const PREPRINTED: Record<string, string> = { region: '77', subject_code: '02', subject_name: 'МАТ' };

export function fillForm(
  page: GreyImage,
  form: ExpandedForm,
  rng: Rng,
  opts: FillOptions = {},
): Record<string, FieldTruth> {
  const hand = newHand(rng.fork('hand'));
  const printHand: Hand = { heightFrac: 0.8, strokeMm: 0.6, ink: 0 };
  const truth: Record<string, FieldTruth> = {};
  if (opts.exactly) {
    for (const f of form.fields)
      if (f.kind === 'cells' && (!f.preprinted || f.name in opts.exactly)) {
        const [by, writer] = f.preprinted ? [printHand, undefined] : [hand, opts.cellWriter];
        truth[f.name] = fillCells(page, f, opts.exactly[f.name] ?? '', by, rng.fork(f.name), writer);
      }
    return truth;
  }
  const emptyRate = opts.emptyRate ?? 0.25;
  // What the participant knows: the subject printed on the sheet, the tasks their replacement rows name.
  const known: Record<string, RecognisedField> = {};
  const subject = form.definition.answers?.subjectField;
  const printed = subject === undefined ? undefined : PREPRINTED[subject];
  if (subject !== undefined && printed !== undefined)
    known[subject] = { value: printed, confidence: 1, doubt: [] };
  const typeOf = (name: string) => answerTypeOfField(form, name, known, shippedAnswers());
  const replacementsWanted = rng.chance(0.3) ? rng.int(1, 2) : 0;
  let replacements = 0;
  for (const f of form.fields) {
    const frng = rng.fork(f.name);
    switch (f.kind) {
      case 'bubbles':
        truth[f.name] = fillBubbles(page, f, hand, frng, opts);
        break;
      case 'writing':
        truth[f.name] = fillWriting(page, f, hand, frng, opts.blank ?? false);
        break;
      case 'link': {
        const random = frng.chance(0.5) ? linkNumber(frng) : '';
        truth[f.name] = fillCells(page, f, opts.links?.[f.name] ?? random, hand, frng);
        break;
      }
      case 'cells': {
        let text: string;
        if (opts.values?.[f.name] !== undefined) text = opts.values[f.name]!;
        else if (f.preprinted) text = PREPRINTED[f.name] ?? randomAnswer(frng, f.allowed, f.rects.length);
        else if (f.template === 'replacement.{n}.task' || f.template === 'replacement.{n}.answer') {
          const n = Number(f.name.split('.')[1]);
          if (n > replacementsWanted) text = '';
          else if (f.template === 'replacement.{n}.task') {
            text = String(frng.int(1, 40)).padStart(2, '0');
            known[f.name] = { value: text, confidence: 1, doubt: [] };
          } else {
            text = answerOfType(frng, f, typeOf(f.name));
            replacements++;
          }
        } else if (f.name === 'replacement_count') text = '';
        else text = cellText(f, frng, emptyRate, typeOf(f.name));
        truth[f.name] = f.preprinted
          ? fillCells(page, f, text, printHand, frng)
          : fillCells(page, f, text, hand, frng, opts.cellWriter);
        break;
      }
    }
  }
  const count = form.byName.get('replacement_count');
  if (count?.kind === 'cells')
    truth.replacement_count = fillCells(page, count, String(replacements), hand, rng.fork('count'));
  return truth;
}

function linkNumber(rng: Rng): string {
  const body = `5${Array.from({ length: 11 }, () => rng.int(0, 9)).join('')}`;
  return ean13WithCheckDigit(body);
}
