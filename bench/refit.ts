/**
 * How well a season's verified answers estimate the accept threshold's trade-off (`rcoi calibrate thresholds
 * --verified`), against the truth of every answer.
 *
 * Labelled pages (`npm run bench:handwriting -- --write DIR`) are recognised as the service does, at the form's
 * shipped threshold (or the season's `--accept`), and measured once with every label. The truth: the
 * field-level sweep over all answers. A season's verifiers label only the doubted answers and the control
 * sample; for each share the sample is drawn `--draws` times (each draw salts the hash the service draws by,
 * so each is another season's luck) and the sweep is estimated as the CLI does, a control answer counting
 * 1/share. Share 0 is what verifiers' decisions alone would say. Printed per threshold: the truth, and the
 * draws' median and 5th-95th percentiles of the estimated accepted share and accepted wrong characters.
 *
 *   npm run bench:refit -- --dir DIR [--form ege-as1-2023] [--accept A] [--shares 0,0.02,0.1,0.5] [--draws 200]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  ACCEPT_SWEEP,
  CHARACTER_ERROR_BUDGET,
  doubtBeyondCells,
  type FieldSample,
  measureLabelled,
  type PageLabels,
  recommendWithin,
  type SweepRow,
  sweepCharacterFields,
} from '../calibration/calibrate-thresholds.ts';
import { inControlSample } from '../domain/verification.ts';
import { findShippedForm } from '../forms/definitions.ts';
import { recognisePageBytes } from '../pipeline/page-job.ts';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    form: { type: 'string', default: 'ege-as1-2023' },
    shares: { type: 'string', default: '0,0.02,0.1,0.5' },
    draws: { type: 'string', default: '200' },
    /** The accept threshold the season was recognised at (default: the form's shipped one). */
    accept: { type: 'string' },
  },
});
if (!values.dir) throw new Error('--dir DIR: labelled pages, as bench:handwriting --write makes them');
const dir = values.dir;
const shipped = findShippedForm(values.form);
const def = values.accept
  ? { ...shipped, thresholds: { ...shipped.thresholds, characterAccept: Number(values.accept) } }
  : shipped;
const shares = values.shares.split(',').map(Number);
const draws = Number(values.draws);
const accept = def.thresholds.characterAccept ?? 0;
const sweep = [...new Set([...ACCEPT_SWEEP, accept, 0.998, 0.997])].sort((a, b) => b - a);

interface Answer {
  key: string;
  sample: FieldSample;
  /** Doubted when recognised at the form's threshold: every such answer is verified. */
  doubted: boolean;
}

const answers: Answer[] = [];
const started = performance.now();
const images = readdirSync(dir).filter((f) => /\.(png|jpe?g|tiff?)$/i.test(f));
for (const name of images) {
  const bytes = new Uint8Array(readFileSync(join(dir, name)));
  const labels = JSON.parse(readFileSync(join(dir, name.replace(/\.[^.]+$/, '.json')), 'utf8')) as PageLabels;
  if (labels.form !== def.id) continue;
  const r = await recognisePageBytes({ source: name, bytes, page: 0, examYear: null }, [def]);
  if (r.form !== def.id) continue;
  const beyondCells = new Set(
    Object.entries(r.fields)
      .filter(([, f]) => doubtBeyondCells(f.doubt))
      .map(([n]) => n),
  );
  const m = await measureLabelled(def, [
    { source: name, page: 0, load: async () => ({ bytes, labels, beyondCells }) },
  ]);
  for (const sample of m.fields) {
    const read = r.fields[sample.field];
    if (read) answers.push({ key: `${name}/${sample.field}`, sample, doubted: read.doubt.length > 0 });
  }
}
const seconds = (performance.now() - started) / 1000;

/** The labelled answers a season at `share` would have, weighted as the CLI weighs them. */
function season(share: number, salt: string): FieldSample[] {
  return answers.flatMap((a) => {
    if (a.doubted) return [{ ...a.sample, weight: 1 }];
    return inControlSample(`${salt}/${a.key}`, share) ? [{ ...a.sample, weight: 1 / share }] : [];
  });
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))] ?? Number.NaN;
};
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const spread = (xs: number[], f: (x: number) => string) =>
  `${f(quantile(xs, 0.5))} (${f(quantile(xs, 0.05))}-${f(quantile(xs, 0.95))})`;
const whole = (x: number) => x.toFixed(0);
const acceptedShare = (r: SweepRow) => (r.items ? r.accepted / r.items : 0);

const truth = sweepCharacterFields(
  answers.map((a) => ({ ...a.sample, weight: 1 })),
  sweep,
);
const doubted = answers.filter((a) => a.doubted).length;
console.log(
  `${def.id}: ${images.length} labelled pages in ${dir}, ${answers.length} labelled fields read, ${doubted} doubted at ` +
    `the shipped ${accept} (${seconds.toFixed(0)} s to recognise and measure); ${draws} draws a share\n`,
);
console.log(
  '| accept | truth: accepted | truth: wrong accepted | share | estimated accepted | estimated wrong accepted |',
);
console.log('|---|---|---|---|---|---|');
for (const t of truth) {
  for (const share of shares) {
    const rows = Array.from(
      { length: share > 0 ? draws : 1 },
      (_, d) => sweepCharacterFields(season(share, `draw-${d}`), [t.value])[0]!,
    );
    console.log(
      `| ${share === shares[0] ? `${t.value}${t.value === accept ? ' (season)' : ''}` : ''} | ` +
        `${share === shares[0] ? `${pct(acceptedShare(t))}` : ''} | ${share === shares[0] ? t.acceptedErrors : ''} | ` +
        `${share} | ${spread(rows.map(acceptedShare), pct)} | ${spread(
          rows.map((r) => r.acceptedErrors),
          whole,
        )} |`,
    );
  }
}

console.log('\nrecommended threshold (within the 0.02% budget), truth and per share (median, 5th-95th):');
console.log(`  truth: ${recommendWithin(truth, CHARACTER_ERROR_BUDGET)?.value}`);
for (const share of shares) {
  const picks = Array.from(
    { length: share > 0 ? draws : 1 },
    (_, d) =>
      recommendWithin(sweepCharacterFields(season(share, `draw-${d}`), sweep), CHARACTER_ERROR_BUDGET)
        ?.value ?? 1,
  );
  console.log(`  share ${share}: ${spread(picks, (x) => String(x))}`);
}
