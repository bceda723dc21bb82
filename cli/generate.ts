/** `rcoi generate`: synthetic filled pages with their ground truth. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findShippedForm } from '../forms/definitions.ts';
import type { DegradeProfile } from '../samples/degrade.ts';
import { generateSheet } from '../samples/generate.ts';
import { positiveInt, UsageError } from './usage.ts';

const PROFILES: DegradeProfile[] = ['clean', 'scanner', 'phone', 'harsh'];

export async function generateCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      form: { type: 'string' },
      count: { type: 'string' },
      seed: { type: 'string' },
      profile: { type: 'string' },
      blank: { type: 'boolean' },
      out: { type: 'string' },
    },
  });
  if (!values.form || !values.out) throw new UsageError('generate needs --form and --out');
  const profile = (values.profile ?? 'scanner') as DegradeProfile;
  if (!PROFILES.includes(profile)) throw new UsageError(`--profile is one of ${PROFILES.join(', ')}`);
  const def = findShippedForm(values.form);
  const count = positiveInt('count', values.count, 1);
  const seed0 = positiveInt('seed', values.seed, 1);
  await mkdir(values.out, { recursive: true });
  for (let seed = seed0; seed < seed0 + count; seed++) {
    const g = await generateSheet(def, seed, profile, { blank: values.blank ?? false });
    const name = `${def.id}-${profile}-${seed}`;
    await writeFile(join(values.out, `${name}.${g.format === 'jpeg' ? 'jpg' : 'png'}`), g.image);
    await writeFile(join(values.out, `${name}.json`), `${JSON.stringify(g.truth, null, 1)}\n`);
  }
  console.log(`wrote ${count} page(s) of ${def.id} to ${values.out}`);
  return 0;
}
