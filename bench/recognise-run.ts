/**
 * One measured recognition run in a fresh process, so its peak RSS is its own:
 * `tsx bench/recognise-run.ts JOBS OUT_DIR FILE...` prints {"seconds", "maxRssMb"} on stdout.
 */
import sharp from 'sharp';
import { recogniseFiles } from '../cli/recognise.ts';
import { shippedForms } from '../forms/definitions.ts';

sharp.concurrency(1);
const [jobs, outDir, ...files] = process.argv.slice(2);
const run = await recogniseFiles(files, shippedForms(), { jobs: Number(jobs), outDir, progress: false });
console.log(
  JSON.stringify({ seconds: run.seconds, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }),
);
