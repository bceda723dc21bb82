/**
 * Reading a cell: its tile normalised (character-tile.ts), classified by the model (character-model.ts,
 * character-net.ts) with temperature-calibrated confidence restricted to the symbols a field allows, homoglyphs
 * pooled and settled by the script of the answer. Trained by calibration/characters/train.ts.
 */
import { type CharacterModel, loadCharacterModel } from './character-model.ts';
import { type GreyTile, normaliseTile, type TileOptions } from './character-tile.ts';

export interface CharacterRead {
  /** '' when blank. */
  symbol: string;
  /** Calibrated P(correct), 0..1; 1 for blank. */
  confidence: number;
  /**
   * Every allowed symbol with its probability, best first (includes `symbol`): the whole distribution, so that
   * an answer can be decoded as a whole under its type (pipeline/answers.ts).
   */
  alternatives: { symbol: string; p: number }[];
  blank: boolean;
  /**
   * Allowed symbols whose handwritten shapes cannot be told apart from `symbol` (e.g. 'ОO0'); '' when there
   * is no such ambiguity. `confidence` covers the whole set; resolveScripts picks the member from the
   * answer's other characters.
   */
  homoglyphs: string;
  /** The normaliser may have spoilt the tile (a streak through the ink, a lost mark above): never accepted. */
  spoilt?: true;
}

export interface ReadOptions extends TileOptions {
  /** Default: the committed model (loadCharacterModel). */
  model?: CharacterModel;
}

/**
 * Shapes that handwriting does not distinguish across scripts. Exact twins share one model class; the looser
 * pairs (0/О, З/3, 1/I, Ч/4, У/Y) keep their own classes, but their confidence is pooled so that a
 * free-answer field does not send every О to a human: the answer's other characters decide the script
 * (resolveScripts).
 */
const HOMOGLYPH_SETS = [
  'АA',
  'ВB',
  'ЕE',
  'КK',
  'МM',
  'НH',
  'ОO0',
  'РP',
  'СC',
  'ТT',
  'ХX',
  'З3',
  'I1',
  'Ч4',
  'УY',
];
const homoglyphSet = new Map<string, string>();
for (const set of HOMOGLYPH_SETS) for (const ch of set) homoglyphSet.set(ch, set);

/** The symbols handwriting does not tell from `ch`, `ch` included (just `ch` when there are none). */
export function homoglyphsOf(ch: string): string {
  return homoglyphSet.get(ch) ?? ch;
}

/** Letters that a lost mark above turns into another allowed letter. */
const DIACRITIC_TWIN: Record<string, string> = { Е: 'Ё', И: 'Й' };
/** Confidence given to a read the normaliser may have spoilt: below any sensible accept threshold. */
export const DOUBT_CONFIDENCE = 0.5;

/** The read of an empty cell. */
export const BLANK_READ: CharacterRead = {
  symbol: '',
  confidence: 1,
  alternatives: [],
  blank: true,
  homoglyphs: '',
};

/**
 * Probabilities over `allowed` (symbol order) from the model's logits, temperature-scaled and renormalised.
 */
export function allowedProbabilities(model: CharacterModel, logits: Float64Array, allowed: string): number[] {
  const t = model.header.temperature;
  const syms = [...allowed];
  const cls = syms.map((s) => model.classOf.get(s));
  // Twins sharing a class split its probability, so the pooled set probability stays the class's.
  const share = new Map<number, number>();
  for (const c of cls) if (c !== undefined) share.set(c, (share.get(c) ?? 0) + 1);
  let max = -Infinity;
  for (const c of share.keys()) max = Math.max(max, (logits[c] as number) / t);
  const p = cls.map((c) =>
    c === undefined ? 0 : Math.exp((logits[c] as number) / t - max) / (share.get(c) ?? 1),
  );
  const sum = p.reduce((a, b) => a + b, 0);
  return sum > 0 ? p.map((v) => v / sum) : p;
}

/**
 * Reads one cell. `allowed` lists the symbols the field accepts (e.g. ALPHABETS.digits); the result is always
 * one of them or blank. Accept `symbol` automatically only when `confidence` >= the model's acceptThreshold.
 */
export function readCharacter(tile: GreyTile, allowed: string, opts: ReadOptions = {}): CharacterRead {
  const norm = normaliseTile(tile, opts);
  if (norm.blank) return BLANK_READ;
  const model = opts.model ?? loadCharacterModel();
  const logits = model.net.forward(norm.pixels, norm.features);
  const syms = [...allowed];
  const p = allowedProbabilities(model, logits, allowed);
  const pooled = new Map<string, number>();
  syms.forEach((s, i) => {
    const set = homoglyphSet.get(s) ?? s;
    pooled.set(set, (pooled.get(set) ?? 0) + (p[i] as number));
  });
  let bestSet = '';
  let bestP = -1;
  for (const [set, v] of pooled) {
    if (v > bestP) {
      bestP = v;
      bestSet = set;
    }
  }
  const order = syms.map((s, i) => ({ symbol: s, p: p[i] as number })).sort((a, b) => b.p - a.p);
  const members = order.filter((a) => (homoglyphSet.get(a.symbol) ?? a.symbol) === bestSet);
  const symbol = members[0]?.symbol ?? '';
  const twin = DIACRITIC_TWIN[symbol];
  const unsafe =
    norm.streakThroughInk || (norm.markAboveDropped && twin !== undefined && allowed.includes(twin));
  return {
    symbol,
    confidence: Math.min(unsafe ? DOUBT_CONFIDENCE : 1, Math.max(0, bestP)),
    alternatives: order,
    blank: false,
    homoglyphs: members.length > 1 ? members.map((a) => a.symbol).join('') : '',
    ...(unsafe && { spoilt: true as const }),
  };
}

type Script = 'digit' | 'cyrillic' | 'latin';
const SCRIPTS: Script[] = ['digit', 'cyrillic', 'latin'];

function scriptOf(ch: string): Script | undefined {
  if (ch >= '0' && ch <= '9') return 'digit';
  if ((ch >= 'А' && ch <= 'Я') || ch === 'Ё') return 'cyrillic';
  if (ch >= 'A' && ch <= 'Z') return 'latin';
  return undefined;
}

/** The one script that every homoglyph read of the answer has a member in, if there is exactly one. */
function onlyScript(reads: CharacterRead[]): Script | undefined {
  const fits = SCRIPTS.filter((script) =>
    reads.every((r) => !r.homoglyphs || [...r.homoglyphs].some((ch) => scriptOf(ch) === script)),
  );
  return fits.length === 1 ? fits[0] : undefined;
}

/**
 * Picks the member of each homoglyph set (Cyrillic А / Latin A, digit 1 / letter I …) from the answer's
 * unambiguous characters, one script for the whole answer. A digit is chosen only in an answer with digits (or
 * a comma or minus) and no letter; a letter only in an answer with no digit, whose letters are all of one
 * script. An answer of homoglyphs alone takes the one script every one of them has a member in (`13`: 1 is
 * not Cyrillic, З has no Latin twin). Anything else cannot be settled: `fallback` decides when given,
 * otherwise the ambiguous reads get confidence 0 so that a human decides.
 */
export function resolveScripts(reads: CharacterRead[], fallback?: Script): CharacterRead[] {
  let cyrillic = 0;
  let latin = 0;
  let numeric = 0;
  for (const r of reads) {
    if (r.blank || r.homoglyphs) continue;
    const s = scriptOf(r.symbol);
    if (s === 'cyrillic') cyrillic++;
    else if (s === 'latin') latin++;
    else if (s === 'digit' || r.symbol === ',' || r.symbol === '-') numeric++;
  }
  const letters = cyrillic + latin;
  const script: Script | undefined =
    numeric > 0 && letters === 0
      ? 'digit'
      : numeric === 0 && cyrillic > 0 && latin === 0
        ? 'cyrillic'
        : numeric === 0 && latin > 0 && cyrillic === 0
          ? 'latin'
          : numeric + letters === 0
            ? (onlyScript(reads) ?? fallback)
            : fallback;
  return reads.map((r) => {
    if (!r.homoglyphs) return r;
    const pick = script ? [...r.homoglyphs].find((ch) => scriptOf(ch) === script) : undefined;
    return pick ? { ...r, symbol: pick } : { ...r, confidence: 0 };
  });
}
