/**
 * A year's per-subject data files, `calibration/<kind>/<year>/<exam>-<subject>.json` (answer types, scoring):
 * each validated by its schema, named after the subject it declares, of the year whose folder holds it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { z } from 'zod';

interface SubjectFile {
  exam: string;
  subject: string;
  year: number;
}

function issuesOf(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('\n  ');
}

/** Validates one file; the error names the file and every bad key, or a name or year that is not its own. */
export function parseSubjectFile<T extends SubjectFile>(
  schema: z.ZodType<T>,
  kind: string,
  json: unknown,
  year: number,
  name: string,
): T {
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new Error(`${kind}/${year}/${name}:\n  ${issuesOf(parsed.error)}`);
  const expected = `${parsed.data.exam.toLowerCase()}-${parsed.data.subject}.json`;
  if (name !== expected) throw new Error(`${kind}/${year}/${name} declares ${expected}`);
  if (parsed.data.year !== year) throw new Error(`${kind}/${year}/${name} declares year ${parsed.data.year}`);
  return parsed.data;
}

/** Every file of a year's folder in name order, each read as JSON and parsed; `what` names the data. */
export function loadSubjectFiles<T>(
  dir: URL,
  kind: string,
  what: string,
  year: number,
  parse: (json: unknown, name: string) => T,
): T[] {
  const yearDir = new URL(`${year}/`, dir);
  let names: string[];
  try {
    names = readdirSync(yearDir).filter((n) => n.endsWith('.json'));
  } catch {
    throw new Error(`no ${what} for ${year} (calibration/${kind}/${year}/)`);
  }
  return names.sort().map((name) => {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(new URL(name, yearDir), 'utf8'));
    } catch (err) {
      throw new Error(`${kind}/${year}/${name}: not readable JSON: ${(err as Error).message}`);
    }
    return parse(json, name);
  });
}
