/**
 * An answer decoded as a whole under its task's type (forms/answer-types.ts): the most probable string the type
 * allows, given every cell's distribution over the field's symbols, with one script for the whole answer. The
 * type narrows each cell to its symbols; a homoglyph twin the type excludes (З for a number's 3) lends its
 * probability to the member the type allows, since handwriting does not tell them apart. What still does not
 * fit the type (a letter in a number, a comma where none can stand) is a doubt naming the cell, never coerced.
 */
import { type AnswerType, answerTypeOf, type SubjectAnswers, TYPE_SYMBOLS } from '../forms/answer-types.ts';
import type { ExpandedForm } from '../forms/definitions.ts';
import { type CharacterRead, DOUBT_CONFIDENCE, homoglyphsOf, resolveScripts } from './characters.ts';
import type { CellDoubt, RecognisedField } from './result.ts';

/** A type the decoder reads by; `free` answers are settled character by character (cells.ts). */
export type TypedAnswer = Exclude<AnswerType, 'free'>;

/**
 * Below this share of a cell's probability on the type's symbols (twins included), the model thinks the cell
 * more likely holds something else: the answer is not of its type there.
 */
const TYPE_FIT = 0.5;

// The states of the types' automaton: a number is [-](0|digits not led by 0)[,digits], a word
// letters[-letters]. A written number has no leading zero: `0908` is no number, `0,08` is.
const START = 0;
const MINUS = 1;
const ZERO = 2;
const INT = 3;
const COMMA = 4;
const FRAC = 5;
const WORD = 6;
const HYPHEN = 7;
const ACCEPTING = new Set([ZERO, INT, FRAC, WORD]);
const STATES = 8;

const isDigit = (ch: string) => ch >= '0' && ch <= '9';

/** The state after `ch` in state `st` of a `type` answer (TYPE_PATTERN's); undefined where the type forbids it. */
function step(type: TypedAnswer, st: number, ch: string): number | undefined {
  const number = type === 'integer' || type === 'decimal' || type === 'word-or-number';
  const word = type === 'cyrillic-word' || type === 'latin-word' || type === 'word-or-number';
  if (isDigit(ch)) {
    if (type === 'digits') return st === START || st === INT ? INT : undefined;
    if (!number) return undefined;
    if (st === START || st === MINUS) return ch === '0' ? ZERO : INT;
    if (st === INT) return INT;
    return st === COMMA || st === FRAC ? FRAC : undefined;
  }
  if (ch === '-') {
    if (number && st === START) return MINUS;
    return word && type !== 'latin-word' && st === WORD ? HYPHEN : undefined;
  }
  if (ch === ',')
    return (type === 'decimal' || type === 'word-or-number') && (st === ZERO || st === INT)
      ? COMMA
      : undefined;
  return word && (st === START || st === WORD || st === HYPHEN) ? WORD : undefined;
}

/**
 * A cell's probabilities over the type's symbols: each symbol's own, plus an equal share of its twins'
 * that the type excludes. Their sum is the cell's fit to the type.
 */
function typedCell(read: CharacterRead, symbols: string): Map<string, number> {
  const p = new Map(read.alternatives.map((a) => [a.symbol, a.p]));
  const out = new Map<string, number>();
  for (const s of symbols) {
    const twins = [...homoglyphsOf(s)];
    const allowed = twins.filter((t) => symbols.includes(t)).length;
    const lent = twins.filter((t) => !symbols.includes(t)).reduce((a, t) => a + (p.get(t) ?? 0), 0);
    out.set(s, (p.get(s) ?? 0) + lent / allowed);
  }
  return out;
}

export interface DecodedAnswer {
  /** The most probable string of the type; the cells' own reads when the answer is not of the type. */
  value: string;
  /** The whole answer's probability under the type, 0..1. */
  probability: number;
  /** The reads, each with the symbol the answer gives it and its confidence within the answer. */
  reads: CharacterRead[];
  cells: CellDoubt[];
}

const pct = (p: number) => `${Math.round(p * 100)}%`;

/**
 * Decodes the written cells of an answer (blank reads are kept in place and skipped) as the most probable
 * string of `type` (Viterbi), and gives each cell the probability of its symbol among the strings of the type
 * (forward-backward over the cells narrowed to the type) times its own probability on symbols that keep the
 * answer of its type. A cell is doubtful below `accept`: as
 * `not-of-type` when the cell holds something outside the type or the type forced another symbol than the
 * cell's own best, `ambiguous-script` when the rival is its homoglyph twin, otherwise as a low-confidence
 * character.
 */
export function decodeAnswer(reads: CharacterRead[], type: TypedAnswer, accept: number): DecodedAnswer {
  const symbols = TYPE_SYMBOLS[type];
  const at = reads.flatMap((r, i) => (r.blank ? [] : [i]));
  const raw = at.map((i) => typedCell(reads[i]!, symbols));
  const fit = raw.map((m) => [...m.values()].reduce((a, b) => a + b, 0));
  const cellP = raw.map((m, k) => new Map([...m].map(([s, v]) => [s, fit[k]! > 0 ? v / fit[k]! : 0])));
  const n = at.length;
  // Forward sums, Viterbi maxima with back pointers, and backward sums over the automaton's states.
  const alpha = Array.from({ length: n + 1 }, () => new Float64Array(STATES));
  const best = Array.from({ length: n + 1 }, () => new Float64Array(STATES));
  const back: { st: number; ch: string }[][] = Array.from({ length: n + 1 }, () => []);
  alpha[0]![START] = 1;
  best[0]![START] = 1;
  for (let k = 0; k < n; k++) {
    for (let st = 0; st < STATES; st++) {
      const a = alpha[k]![st]!;
      if (a === 0) continue;
      for (const [ch, p] of cellP[k]!) {
        const next = step(type, st, ch);
        if (next === undefined || p === 0) continue;
        alpha[k + 1]![next]! += a * p;
        const v = best[k]![st]! * p;
        if (v > best[k + 1]![next]!) {
          best[k + 1]![next] = v;
          back[k + 1]![next] = { st, ch };
        }
      }
    }
  }
  const beta = Array.from({ length: n + 1 }, () => new Float64Array(STATES));
  for (const st of ACCEPTING) beta[n]![st] = 1;
  for (let k = n - 1; k >= 0; k--) {
    for (let st = 0; st < STATES; st++) {
      let sum = 0;
      for (const [ch, p] of cellP[k]!) {
        const next = step(type, st, ch);
        if (next !== undefined) sum += p * beta[k + 1]![next]!;
      }
      beta[k]![st] = sum;
    }
  }
  let end = -1;
  for (const st of ACCEPTING) if (end < 0 || best[n]![st]! > best[n]![end]!) end = st;
  const cells: CellDoubt[] = [];
  if (n === 0) return { value: '', probability: 1, reads, cells };
  if (best[n]![end]! === 0) {
    // No string of the type fits at all: the cells' own reads stand, for a human to judge.
    return {
      value: reads.map((r) => r.symbol).join(''),
      probability: 0,
      reads,
      cells: [{ cell: at[0]! + 1, reason: 'not-of-type', detail: `no ${type} reads from these cells` }],
    };
  }
  const chosen: string[] = new Array(n);
  for (let k = n, st = end; k > 0; k--) {
    const b = back[k]![st]!;
    chosen[k - 1] = b.ch;
    st = b.st;
  }
  let z = 0;
  for (const st of ACCEPTING) z += alpha[n]![st]!;
  // The state before each cell on the chosen string, to ask what else each cell could hold in it.
  const prefix = [START];
  for (let k = 0; k < n; k++) prefix.push(step(type, prefix[k]!, chosen[k]!)!);
  const keepsValid = (k: number, ch: string) => {
    let st = step(type, prefix[k]!, ch);
    for (let j = k + 1; j < n && st !== undefined; j++) st = step(type, st, chosen[j]!);
    return st !== undefined && ACCEPTING.has(st);
  };
  const out = [...reads];
  for (let k = 0; k < n; k++) {
    const symbol = chosen[k]!;
    // P(this symbol here | the answer is of the type), from every string of the type (forward-backward) ...
    let through = 0;
    for (let st = 0; st < STATES; st++) {
      const next = step(type, st, symbol);
      if (next !== undefined) through += alpha[k]![st]! * (cellP[k]!.get(symbol) ?? 0) * beta[k + 1]![next]!;
    }
    // ... times the cell's own probability on symbols that leave the answer of its type: what the cell
    // looks like where the type cannot have it (a 9 for a comma after a leading 0) is not explained away.
    const valid = [...cellP[k]!].reduce((a, [ch, p]) => a + (keepsValid(k, ch) ? p : 0), 0);
    const i = at[k]!;
    const spoilt = reads[i]!.spoilt === true;
    const confidence = Math.min((through / z) * valid, spoilt ? DOUBT_CONFIDENCE : 1);
    out[i] = { ...reads[i]!, symbol, confidence, homoglyphs: '' };
    const own = [...cellP[k]!].reduce((a, b) => (b[1] > a[1] ? b : a))[0];
    // The cell's own runner-up within the type, whether or not the answer can take it there.
    const rival = [...cellP[k]!]
      .filter(([ch]) => ch !== symbol)
      .reduce((a, b) => (b[1] > a[1] ? b : a), ['', 0]);
    const cell = i + 1;
    const was = reads[i]!.alternatives[0]?.symbol ?? '';
    if (fit[k]! < TYPE_FIT) {
      cells.push({
        cell,
        reason: 'not-of-type',
        detail: `reads as ${was}, not a symbol of a ${type} (${pct(fit[k]!)} fits)`,
      });
    } else if (confidence < accept) {
      const reason = spoilt
        ? 'low-confidence-character'
        : own !== symbol
          ? 'not-of-type'
          : rival[0] !== '' && homoglyphsOf(symbol).includes(rival[0])
            ? 'ambiguous-script'
            : 'low-confidence-character';
      const detail = spoilt
        ? 'the tile may be spoilt (a streak through the ink, a lost mark above)'
        : own !== symbol
          ? `reads as ${own}, which cannot stand there in a ${type}; ${symbol} at ${pct(confidence)}`
          : `${symbol} at ${pct(confidence)}${rival[0] ? `, or ${rival[0]} at ${pct(rival[1])}` : ''}`;
      cells.push({ cell, reason, detail });
    }
  }
  if (cells.some((c) => c.reason === 'not-of-type')) {
    // Not an answer of its type: the cells' own reads stand for the verifier, not a string forced into it.
    const own = resolveScripts(reads);
    const probability = fit.reduce((a, f) => a * f, best[n]![end]!);
    return { value: own.map((r) => r.symbol).join(''), probability, reads: own, cells };
  }
  return { value: chosen.join(''), probability: best[n]![end]!, reads: out, cells };
}

/** The {n} of `name` in the repeated field `template` ('answer.{n}', 'answer.7' → '7'). */
function indexIn(template: string, name: string): string | undefined {
  const [head = '', tail = ''] = template.split('{n}');
  const n = name.slice(head.length, name.length - tail.length);
  return name.startsWith(head) && name.endsWith(tail) && /^\d+$/.test(n) ? n : undefined;
}

/**
 * The type of an answer field, from the fields read so far: the subject field read without doubt names the
 * subject's types; `answer.N` takes task N's, a replacement row's answer the type of the task its row names
 * (read without doubt). Undefined (read `free`) for any other field, when the form does not say where its
 * subject is, the subject or the row's task is doubtful, or no types are shipped for the subject: a guessed
 * subject would narrow the answer wrongly.
 */
export function answerTypeOfField(
  form: ExpandedForm,
  name: string,
  read: Readonly<Record<string, RecognisedField>>,
  subjects: readonly SubjectAnswers[],
): AnswerType | undefined {
  const spec = form.definition.answers;
  const subject = spec && read[spec.subjectField];
  if (!spec || !subject || subject.doubt.length > 0) return undefined;
  const answers = subjects.find((s) => s.exam === spec.exam && s.subjectCode === subject.value);
  const template = form.byName.get(name)?.template;
  if (!answers || template === undefined) return undefined;
  if (template === spec.answerField) return answerTypeOf(answers, Number(indexIn(template, name)));
  if (template !== spec.replacement?.answer) return undefined;
  const row = indexIn(template, name);
  const task = row === undefined ? undefined : read[spec.replacement.task.replace('{n}', row)];
  if (!task || task.doubt.length > 0 || !/^\d{1,2}$/.test(task.value)) return undefined;
  return answerTypeOf(answers, Number(task.value));
}
