/**
 * `npm run bench:registration`: is OpenCV worth loading for the registration hot path? Finds anchor
 * candidates on the same degraded pages two ways (the pipeline's TypeScript connected components on a ~60-dpi
 * copy, and OpenCV.js 4.12 WASM threshold + connectedComponentsWithStats on the same copy) and prints the
 * median time of each, OpenCV's load time and memory, and whether both find the same candidates; and the
 * cost of making the small copy three ways.
 */
import { createRequire } from 'node:module';
import sharp from 'sharp';
import { findShippedForm } from '../forms/definitions.ts';
import { darkComponents } from '../pipeline/components.ts';
import { openSource } from '../pipeline/decode.ts';
import { type GreyImage, percentile, thumbnail } from '../pipeline/image.ts';
import { generateSheet } from '../samples/generate.ts';

interface CvMat {
  data: Uint8Array;
  data32S: Int32Array;
  rows: number;
  delete(): void;
}
interface CvSize {
  width: number;
  height: number;
}
interface Cv {
  Mat: new () => CvMat;
  matFromArray(rows: number, cols: number, type: number, data: Uint8Array): CvMat;
  threshold(src: CvMat, dst: CvMat, t: number, max: number, type: number): void;
  resize(src: CvMat, dst: CvMat, size: CvSize, fx: number, fy: number, interpolation: number): void;
  Size: new (w: number, h: number) => CvSize;
  INTER_AREA: number;
  connectedComponentsWithStats(
    src: CvMat,
    labels: CvMat,
    stats: CvMat,
    centroids: CvMat,
    connectivity: number,
  ): number;
  CV_8UC1: number;
  THRESH_BINARY_INV: number;
  onRuntimeInitialized?: () => void;
}

const PAGES = 20;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timeIt(fn: () => unknown, reps = 5): number {
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  return median(times);
}

sharp.concurrency(1);
const pages: GreyImage[] = [];
for (let i = 0; i < PAGES; i++) {
  const form = findShippedForm(i % 2 ? 'bubble-sheet-60x5' : 'ege-as1-2023');
  const g = await generateSheet(form, 9000 + i, i % 3 === 0 ? 'phone' : 'scanner');
  pages.push(await (await openSource(g.image)).page(0));
}

const rssBefore = process.memoryUsage().rss;
const loadStart = performance.now();
const cv = createRequire(import.meta.url)('@techstark/opencv-js') as Cv;
// The module is a thenable whose `then` never settles in Node: wait for the runtime callback instead.
if (!cv.Mat) await new Promise<void>((resolve) => (cv.onRuntimeInitialized = resolve));
const loadMs = performance.now() - loadStart;
const rssCv = process.memoryUsage().rss - rssBefore;

const tsTimes: number[] = [];
const cvTimes: number[] = [];
const downscaleTimes: number[] = [];
const cvResizeTimes: number[] = [];
const sharpResizeTimes: number[] = [];
let agree = 0;
for (const page of pages) {
  const factor = Math.max(1, Math.round(((Math.max(page.width, page.height) / 297) * 25.4) / 60));
  downscaleTimes.push(timeIt(() => thumbnail(page, factor)));
  const w = Math.floor(page.width / factor);
  const h = Math.floor(page.height / factor);
  cvResizeTimes.push(
    timeIt(() => {
      const src = cv.matFromArray(page.height, page.width, cv.CV_8UC1, page.data);
      const dst = new cv.Mat();
      cv.resize(src, dst, new cv.Size(w, h), 0, 0, cv.INTER_AREA);
      src.delete();
      dst.delete();
    }),
  );
  const t0 = performance.now();
  for (let k = 0; k < 5; k++) {
    await sharp(page.data, { raw: { width: page.width, height: page.height, channels: 1 } })
      .resize(w, h, { kernel: 'linear' })
      .raw()
      .toBuffer();
  }
  sharpResizeTimes.push((performance.now() - t0) / 5);
  const small = thumbnail(page, factor);
  const threshold = (percentile(small, 0.9) + percentile(small, 0.002, 1)) / 2;
  let tsCount = 0;
  tsTimes.push(timeIt(() => (tsCount = darkComponents(small, threshold).length)));
  let cvCount = 0;
  cvTimes.push(
    timeIt(() => {
      const src = cv.matFromArray(small.height, small.width, cv.CV_8UC1, small.data);
      const bin = new cv.Mat();
      const labels = new cv.Mat();
      const stats = new cv.Mat();
      const centroids = new cv.Mat();
      // Dark pixels (< threshold) become foreground, as in the TypeScript path.
      cv.threshold(src, bin, threshold - 0.5, 255, cv.THRESH_BINARY_INV);
      cvCount = cv.connectedComponentsWithStats(bin, labels, stats, centroids, 8) - 1;
      for (const m of [src, bin, labels, stats, centroids]) m.delete();
    }),
  );
  if (cvCount === tsCount) agree++;
}

console.log(`bench:registration: ${PAGES} pages (EGE AS1 and bubble sheets, scanner and phone profiles)\n`);
console.log('| step | median ms per page |');
console.log('|---|---|');
console.log(
  `| ~60-dpi thumbnail, TypeScript (2x2 mean per block, the pipeline's) | ${median(downscaleTimes).toFixed(2)} |`,
);
console.log(
  `| downscale to ~60 dpi, OpenCV.js resize INTER_AREA (incl. copy in) | ${median(cvResizeTimes).toFixed(2)} |`,
);
console.log(
  `| downscale to ~60 dpi, sharp resize (libvips, incl. copy in/out) | ${median(sharpResizeTimes).toFixed(2)} |`,
);
console.log(`| connected components, TypeScript | ${median(tsTimes).toFixed(2)} |`);
console.log(`| threshold + connectedComponentsWithStats, OpenCV.js WASM | ${median(cvTimes).toFixed(2)} |`);
console.log(
  `\nOpenCV.js load: ${loadMs.toFixed(0)} ms, +${Math.round(rssCv / 1048576)} MB RSS per process (per worker thread)`,
);
console.log(`component counts equal on ${agree}/${PAGES} pages`);
