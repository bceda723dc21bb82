/**
 * Writes the small committed corpus in samples/corpus/: `npx tsx samples/make-corpus.ts`. Deterministic, so
 * the committed files can be regenerated and compared. Each image has its truth beside it (NAME.json; for a
 * multi-page TIFF, a list with one truth per page). Two files are broken on purpose.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { findShippedForm, shippedForms } from '../forms/definitions.ts';
import type { SheetKind } from '../forms/schema.ts';
import { openSource } from '../pipeline/decode.ts';
import { countPages, type PageResult, recogniseFilePage } from '../pipeline/page-job.ts';
import type { DegradeProfile } from './degrade.ts';
import { generateSheet, type SheetTruth } from './generate.ts';

export const CORPUS_DIR = fileURLToPath(new URL('./corpus/', import.meta.url));

const PAGES: [form: string, seed: number, profile: DegradeProfile, blank?: boolean][] = [
  ['ege-as1-2023', 1, 'scanner'],
  ['ege-as1-2023', 2, 'phone'],
  ['ege-as1-2022', 3, 'scanner'],
  ['ege-as1-2023', 4, 'harsh'],
  ['bubble-sheet-60x5', 5, 'scanner'],
  ['bubble-sheet-60x5', 6, 'phone'],
  ['ege-registration', 7, 'scanner'],
  ['ege-as2-1', 8, 'scanner'],
  ['ege-as2-2', 9, 'scanner', true],
  ['ege-as2-additional', 10, 'scanner'],
  ['ege-protocol', 11, 'scanner'],
];

/** Bilevel G4, as high-volume document scanners write: two pages in one TIFF. */
const TIFF_PAGES: [form: string, seed: number][] = [
  ['ege-as1-2023', 12],
  ['ege-registration', 13],
];

async function bilevelTiff(pages: { image: Uint8Array; truth: SheetTruth }[]): Promise<Buffer> {
  const decoded = await Promise.all(pages.map(async (p) => (await openSource(p.image)).page(0)));
  const { width, height } = decoded[0]!;
  if (decoded.some((d) => d.width !== width || d.height !== height))
    throw new Error('TIFF pages differ in size');
  const all = Buffer.concat(decoded.map((d) => Buffer.from(d.data)));
  return sharp(all, { raw: { width, height: height * decoded.length, channels: 1, pageHeight: height } })
    .threshold(150)
    .toColourspace('b-w')
    .tiff({ compression: 'ccittfax4', bitdepth: 1, xres: 11.811, yres: 11.811 })
    .toBuffer();
}

export async function makeCorpus(dir = CORPUS_DIR): Promise<string[]> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const [form, seed, profile, blank] of PAGES) {
    const g = await generateSheet(
      findShippedForm(form),
      seed,
      profile,
      { blank: blank ?? false },
      { jpegQuality: 60 },
    );
    const name = `${form}-${profile}-${seed}${blank ? '-blank' : ''}`;
    writeFileSync(`${dir}${name}.${g.format === 'jpeg' ? 'jpg' : 'png'}`, g.image);
    writeFileSync(`${dir}${name}.json`, `${JSON.stringify(g.truth, null, 1)}\n`);
    written.push(name);
  }
  const tiffPages = await Promise.all(
    TIFF_PAGES.map(([form, seed]) => generateSheet(findShippedForm(form), seed, 'clean')),
  );
  writeFileSync(`${dir}batch-g4.tif`, await bilevelTiff(tiffPages));
  writeFileSync(
    `${dir}batch-g4.json`,
    `${JSON.stringify(
      tiffPages.map((p) => p.truth),
      null,
      1,
    )}\n`,
  );
  written.push('batch-g4');
  // Broken on purpose: the pipeline must reject these with a reason and carry on with the rest.
  writeFileSync(`${dir}corrupt.jpg`, Buffer.from('\xff\xd8\xff\xe0 this is not really a JPEG', 'latin1'));
  const good = await sharp({ create: { width: 1240, height: 1754, channels: 3, background: '#fff' } })
    .png()
    .toBuffer();
  writeFileSync(`${dir}truncated.png`, good.subarray(0, Math.floor(good.length / 3)));
  written.push('corrupt', 'truncated');
  return written;
}

/** What the golden test pins for a page: everything a downstream consumer acts on, timings aside. */
export interface GoldenPage {
  status: string;
  form: string | null;
  reason?: string;
  sheetNumber?: string;
  doubt: string[];
  fields: Record<string, string>;
  doubted: string[];
}

export function goldenOf(r: PageResult): GoldenPage {
  const fields = Object.entries(r.fields);
  return {
    status: r.status,
    form: r.form,
    ...(r.reason !== undefined && { reason: r.reason }),
    ...(r.sheetNumber !== undefined && { sheetNumber: r.sheetNumber }),
    doubt: [...r.doubt].sort(),
    fields: Object.fromEntries(fields.map(([name, f]) => [name, f.value])),
    doubted: fields
      .filter(([, f]) => f.doubt.length > 0)
      .map(([name]) => name)
      .sort(),
  };
}

/** The committed corpus's page files (images, the corrupt and truncated ones included), by name. */
export function corpusFiles(dir = CORPUS_DIR): { name: string; bytes: Uint8Array }[] {
  return readdirSync(dir)
    .filter((f) => /\.(jpg|png|tif)$/.test(f))
    .sort()
    .map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(dir, name))) }));
}

/** The committed corpus's recorded results, by "file#page". */
export function corpusExpected(dir = CORPUS_DIR): Record<string, GoldenPage> {
  return JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, GoldenPage>;
}

/** What a room's forms would declare for the corpus as one batch: its readable pages by sheet kind. */
export function corpusDeclared(dir = CORPUS_DIR): Partial<Record<SheetKind, number>> {
  const kindOf = new Map(shippedForms().map((f) => [f.id, f.kind]));
  const declared: Partial<Record<SheetKind, number>> = {};
  for (const page of Object.values(corpusExpected(dir))) {
    const kind = page.form ? kindOf.get(page.form) : undefined;
    if (kind) declared[kind] = (declared[kind] ?? 0) + 1;
  }
  return declared;
}

/** Records the reviewed results the golden test compares against. */
export async function writeExpected(dir = CORPUS_DIR): Promise<void> {
  const expected: Record<string, GoldenPage> = {};
  for (const name of readdirSync(dir)
    .filter((f) => /\.(png|jpe?g|tiff?)$/.test(f))
    .sort()) {
    const bytes = readFileSync(dir + name);
    const pages = await countPages(bytes);
    for (let p = 0; p < pages; p++) {
      expected[`${name}#${p + 1}`] = goldenOf(
        await recogniseFilePage(dir + name, async () => bytes, p, shippedForms()),
      );
    }
  }
  writeFileSync(`${dir}expected.json`, `${JSON.stringify(expected, null, 1)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  sharp.concurrency(2);
  if (!process.argv.includes('--expected')) {
    const names = await makeCorpus();
    console.log(`wrote ${names.length} entries to ${CORPUS_DIR}`);
  }
  await writeExpected();
  console.log(`recorded ${CORPUS_DIR}expected.json: review its diff before committing`);
}
