/**
 * bench:season's scans. Drawing and degrading a page costs 200 ms, four times what recognising it does, and a
 * season has four sheets a participant; so each form gets a pool of filled, degraded pages without their
 * codes (blur, dust, streaks, exposure; straight, at `DPI`), and a sheet is a pool page with its own
 * codes stamped on and encoded as the PPE's scanner would (JPEG). Every sheet has its own numbers, hence its
 * own bytes, its own recognition and its own place in a work; what the participant wrote is the pool page's.
 *
 * The main thread builds the pools (`poolPage`) into shared memory; worker threads stamp and encode
 * (`serveTasks` below, when this module runs as a thread).
 */
import { isMainThread } from 'node:worker_threads';
import sharp from 'sharp';
import { expandForm, findShippedForm } from '../forms/definitions.ts';
import { drawBarcodes } from '../render/barcodes.ts';
import { type GreyImage, renderBlankForm } from '../render/form.ts';
import { degrade, randomDegradeParams } from '../samples/degrade.ts';
import type { FieldTruth, FillOptions } from '../samples/fill.ts';
import { fillForm } from '../samples/fill.ts';
import { qrTail, sheetCodeTexts } from '../samples/generate.ts';
import { createRng } from '../samples/rng.ts';
import { serveTasks, threadData } from '../workers/thread.ts';

/** The scans' resolution: a common PPE scanner setting, and what keeps 20,000 participants' scans in the store. */
export const DPI = 200;

/** A pool page: the form, its pixels in shared memory, what was written on it. */
export interface PoolPage {
  form: string;
  width: number;
  height: number;
  pixels: SharedArrayBuffer;
  fields: Record<string, FieldTruth>;
}

/** One scan to make: which pool page, the digits that make its sheet unique, the JPEG quality. */
export interface SheetTask {
  pool: number;
  body: string;
  quality: number;
}

/** A filled page of `form`, degraded like a flatbed scan but kept straight, so codes can be stamped on. */
export async function poolPage(form: string, seed: number, fill: FillOptions): Promise<PoolPage> {
  const expanded = expandForm(findShippedForm(form));
  const rng = createRng(`season:${form}:${seed}`);
  const clean = await renderBlankForm(expanded);
  const page: GreyImage = { data: new Uint8Array(clean.data), width: clean.width, height: clean.height };
  const fields = fillForm(page, expanded, rng.fork('fill'), fill);
  const params = {
    ...randomDegradeParams(rng.fork('params'), 'scanner'),
    rotationDeg: 0,
    upsideDown: false,
    scale: 1,
    translateMm: [0, 0] as [number, number],
    marginMm: 0,
    dpi: DPI,
    noiseSd: 0,
    jpegQuality: null,
  };
  const png = await degrade(page, params, rng.fork('degrade'));
  const raw = await sharp(png.image).greyscale().raw().toBuffer({ resolveWithObject: true });
  const pixels = new SharedArrayBuffer(raw.data.length);
  new Uint8Array(pixels).set(raw.data);
  return { form, width: raw.info.width, height: raw.info.height, pixels, fields };
}

/** A sheet's scan: the pool page with the sheet's codes, as JPEG; and its sheet number. */
export async function stampSheet(
  pool: PoolPage,
  task: SheetTask,
): Promise<{ sheetNumber: string; jpeg: Uint8Array }> {
  const def = findShippedForm(pool.form);
  const page: GreyImage = {
    data: new Uint8Array(pool.pixels).slice(),
    width: pool.width,
    height: pool.height,
  };
  const rng = createRng(`season-qr:${task.body}`);
  const { sheetNumber, texts } = sheetCodeTexts(def, task.body, () => qrTail(rng));
  await drawBarcodes(page, def, texts, new Map(), DPI / 25.4);
  const jpeg = await sharp(page.data, { raw: { width: page.width, height: page.height, channels: 1 } })
    .toColourspace('b-w')
    .jpeg({ quality: task.quality, optimiseCoding: false })
    .toBuffer();
  return { sheetNumber: sheetNumber!, jpeg: new Uint8Array(jpeg.buffer, jpeg.byteOffset, jpeg.length) };
}

if (!isMainThread) {
  sharp.concurrency(1);
  const pools = threadData<PoolPage[]>();
  serveTasks<SheetTask, Uint8Array>(async (t) => (await stampSheet(pools[t.pool]!, t)).jpeg);
}
