/** Bench corpus generation, one page per task, in a worker thread. */
import { writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { findShippedForm } from '../forms/definitions.ts';
import type { DegradeProfile } from '../samples/degrade.ts';
import { generateSheet } from '../samples/generate.ts';
import { serveTasks } from '../workers/thread.ts';

export interface GenerateTask {
  form: string;
  seed: number;
  profile: DegradeProfile;
  blank: boolean;
  /** Path without extension: the image and NAME.json are written beside each other. */
  base: string;
}

sharp.concurrency(1);

serveTasks<GenerateTask, string>(async (t) => {
  const g = await generateSheet(findShippedForm(t.form), t.seed, t.profile, { blank: t.blank });
  const image = `${t.base}.${g.format === 'jpeg' ? 'jpg' : 'png'}`;
  await writeFile(image, g.image);
  await writeFile(`${t.base}.json`, JSON.stringify(g.truth));
  return image;
});
