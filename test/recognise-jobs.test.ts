/** `rcoi recognise` reads the same whether one job runs in its own thread or several in worker threads. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recogniseFiles } from '../cli/recognise.ts';
import { findShippedForm } from '../forms/definitions.ts';
import type { PageResult } from '../pipeline/page-job.ts';
import { generateSheet } from '../samples/generate.ts';

const dir = mkdtempSync(join(tmpdir(), 'rcoi-jobs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const withoutTimes = (r: PageResult) => ({ ...r, ms: undefined });

describe('recogniseFiles', () => {
  it('gives the same results on one job, in this thread, as on two worker threads', async () => {
    const def = findShippedForm('bubble-sheet-60x5');
    const files = await Promise.all(
      [21, 22, 23].map(async (seed) => {
        const g = await generateSheet(def, seed, 'scanner');
        const path = join(dir, `${seed}.${g.format === 'jpeg' ? 'jpg' : 'png'}`);
        writeFileSync(path, g.image);
        return path;
      }),
    );
    writeFileSync(join(dir, 'broken.png'), 'not an image');
    const all = [...files, join(dir, 'broken.png')];
    const one = await recogniseFiles(all, [def], { jobs: 1, progress: false });
    const two = await recogniseFiles(all, [def], { jobs: 2, progress: false });
    expect(one.results.map((r) => r.reason)).toEqual([undefined, undefined, undefined, 'unsupported-format']);
    expect(one.results.map(withoutTimes)).toEqual(two.results.map(withoutTimes));
  });
});
