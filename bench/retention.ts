/**
 * `npm run bench:retention -- --objects N`: what the retention sweeper's decision costs on a season's store,
 * on one thread. N stored objects (scan files of a region's EGE days, four materials, two time zones) are
 * planned for a sweep and for the store's expiry backstops, as `sweepRetention` does every hour on a worker's
 * event loop, which every other job of that worker waits on while it runs. Prints the median of 5 runs.
 */
import { parseArgs } from 'node:util';
import {
  expiryBackstops,
  type MaterialKind,
  planSweep,
  policyLookup,
  type RetainedObject,
} from '../domain/retention.ts';

const { values } = parseArgs({ options: { objects: { type: 'string', default: '80000' } } });
const N = Number(values.objects);
const MATERIALS: MaterialKind[] = ['scan-file', 'registration-image', 'as1-image', 'as2-image'];
const EXAMS = ['2026-05-29', '2026-06-01', '2026-06-04', '2026-06-08', '2026-06-11'].flatMap((date) =>
  ['Europe/Moscow', 'Asia/Yekaterinburg'].map((timeZone) => ({ date, timeZone, kind: 'EGE' as const })),
);
const objects: RetainedObject[] = Array.from({ length: N }, (_, i) => ({
  key: `exam-${i % EXAMS.length}/${i}`,
  material: MATERIALS[i % MATERIALS.length]!,
  exam: EXAMS[i % EXAMS.length]!,
  held: i % 1000 === 0,
}));
const policyFor = policyLookup();
const now = new Date('2027-03-02T00:00:00Z');
const times: number[] = [];
let destroyed = 0;
for (let run = 0; run < 5; run++) {
  const started = performance.now();
  destroyed = planSweep(objects, policyFor, now).destroy.length;
  expiryBackstops(objects, policyFor, (o) => o.key.split('/')[0]!, false);
  times.push(performance.now() - started);
}
times.sort((a, b) => a - b);
console.log(
  `${N} objects: sweep plan and backstops in ${times[2]!.toFixed(1)} ms (median of 5; ` +
    `${times.map((t) => t.toFixed(0)).join(', ')} ms); ${destroyed} due on ${now.toISOString().slice(0, 10)}`,
);
