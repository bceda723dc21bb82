/**
 * Golden tests on the committed corpus (samples/corpus): every page gives exactly the recorded result
 * (samples/corpus/expected.json: status, form, sheet number, every field's value and which fields are
 * doubtful), and no accepted value differs from the generator's truth. Re-record after a reviewed change with
 * `npx tsx samples/make-corpus.ts --expected`.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { truthFor } from '../cli/demo.ts';
import { collectInputs } from '../cli/recognise.ts';
import { shippedForms } from '../forms/definitions.ts';
import { countPages, recogniseFilePage } from '../pipeline/page-job.ts';
import { CORPUS_DIR, type GoldenPage, goldenOf } from '../samples/make-corpus.ts';
import { compare } from '../samples/truth.ts';

const expected = JSON.parse(readFileSync(`${CORPUS_DIR}expected.json`, 'utf8')) as Record<string, GoldenPage>;
const files = await collectInputs([CORPUS_DIR]);

describe('golden corpus', () => {
  it('has every recorded page and nothing more', async () => {
    const keys: string[] = [];
    for (const f of files) {
      const pages = await countPages(readFileSync(f));
      for (let p = 0; p < pages; p++) keys.push(`${basename(f)}#${p + 1}`);
    }
    expect(keys.sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(files.map((f) => [basename(f), f]))('%s gives the recorded result', async (_name, file) => {
    const bytes = readFileSync(file);
    const pages = await countPages(bytes);
    for (let p = 0; p < pages; p++) {
      const r = await recogniseFilePage(file, async () => bytes, p, shippedForms());
      expect(goldenOf(r)).toEqual(expected[`${basename(file)}#${p + 1}`]);
      const truth = truthFor(file, p);
      if (truth && r.status !== 'rejected') expect(compare(r, truth).silent).toEqual([]);
    }
  });
});
