/**
 * `rcoi retention training-set`: a training set for next year's experts chosen from the configured database
 * and object store, as the API chooses one (retention/training.ts), audited with `cli` as the actor.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { shippedForms } from '../forms/definitions.ts';
import { configFromEnv, openAdapters } from '../platform/config.ts';
import { ServiceError } from '../platform/errors.ts';
import { chooseTrainingSet } from '../retention/training.ts';
import { CommandError, positiveInt, UsageError } from './usage.ts';

export async function retentionCommand(args: string[]): Promise<number> {
  const [what, ...rest] = args;
  if (what !== 'training-set')
    throw new UsageError(what === undefined ? 'retention needs training-set' : `unknown retention "${what}"`);
  const { values } = parseArgs({
    args: rest,
    options: {
      exam: { type: 'string' },
      purpose: { type: 'string' },
      works: { type: 'string' },
      seed: { type: 'string' },
      pages: { type: 'string' },
    },
  });
  if (!values.exam || !values.purpose || !values.works === !values.pages)
    throw new UsageError('training-set needs --exam ID --purpose TEXT and either --works N or --pages FILE');
  if (values.seed && !values.works) throw new UsageError('--seed draws works: give --works N');
  const seed = values.works ? (values.seed ?? randomBytes(8).toString('hex')) : null;
  const pick = values.works
    ? { works: { count: positiveInt('works', values.works, 1), seed: seed! } }
    : { pageIds: pageIdsIn(values.pages!) };
  const adapters = await openAdapters(configFromEnv(process.env));
  try {
    const set = await chooseTrainingSet(
      adapters,
      shippedForms(),
      { examId: values.exam, purpose: values.purpose, by: 'cli', ...pick },
      new Date(),
    ).catch((err) => {
      throw err instanceof ServiceError ? new CommandError(err.message) : err;
    });
    const drawn = seed ? ` (works drawn with seed ${seed})` : '';
    console.log(`training set ${set.id}: ${set.copies.length} redacted copies kept${drawn}`);
    return 0;
  } finally {
    await adapters.close();
  }
}

/** Page ids one a line; blank lines and lines starting with `#` left out (an id holds `#`: SHA#PAGE). */
function pageIdsIn(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}
