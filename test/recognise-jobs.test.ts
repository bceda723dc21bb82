/**
 * `rcoi recognise` reads the same whether one job runs in its own thread or several in worker threads, and a
 * stage worker's thread reads a stored page as the stage's own thread would.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recogniseFiles } from '../cli/recognise.ts';
import { findShippedForm } from '../forms/definitions.ts';
import { type PageResult, recognisePageBytes } from '../pipeline/page-job.ts';
import { generateSheet } from '../samples/generate.ts';
import { recognitionThreads } from '../workers/pool.ts';

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

describe('recognitionThreads', () => {
  it('reads a stored page, bytes sent with the task, as it is read in this thread', async () => {
    const def = findShippedForm('ege-as1-2023');
    const g = await generateSheet(def, 5, 'scanner');
    const threads = recognitionThreads(1, [def]);
    try {
      const page = { source: 'scans/5', bytes: g.image, page: 0, examYear: 2026 };
      const there = await threads.run(page);
      const here = await recognisePageBytes(page, [def]);
      expect(here.status).not.toBe('rejected');
      expect(Object.keys(here.fields).length).toBeGreaterThan(0);
      expect(withoutTimes(there)).toEqual(withoutTimes(here));
    } finally {
      await threads.close();
    }
  });
});
