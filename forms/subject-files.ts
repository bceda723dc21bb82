/**
 * A year's per-subject data files, `calibration/<kind>/<year>/<exam>-<subject>.json` (answer types, scoring):
 * each validated by its schema, named after the subject it declares, of the year whose folder holds it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as z from 'zod';

/** GVE is sat in grade 9 or 11. */
export const GRADE = z.union([z.literal(9), z.literal(11)]);

/** What every such file opens with: whose it is, and on what basis (examples stand in for official data). */
export const SUBJECT_FILE_HEADER = {
  year: z.number().int().min(2000).max(2100),
  exam: z.enum(['EGE', 'OGE', 'GVE']),
  /** The subject's two-digit code in the exam schedule, as the sheet's subject_code carries it. */
  subjectCode: z.string().regex(/^\d{2}$/),
  /** GVE only: the grade whose exam the file is (9 or 11); GVE-9 and GVE-11 may share a subject code. */
  grade: GRADE.optional(),
  /** A lowercase slug, the same as the checking rules' (part of the file name). */
  subject: z.string().regex(/^[a-z]+(-[a-z]+)*$/),
  /** Example data stands in until the year's official data replaces it. */
  example: z.boolean(),
  basis: z.string().min(1),
};

/** Why a file's grade cannot stand: only GVE's files name one. */
export function fileGradeProblem(file: { exam: string; grade?: number }): string | null {
  return file.grade !== undefined && file.exam !== 'GVE'
    ? `only a GVE file names a grade, not ${file.exam}`
    : null;
}

interface SubjectFile {
  exam: string;
  subject: string;
  year: number;
  grade?: number;
}

function issuesOf(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('\n  ');
}

/**
 * Parse options for data read once a process: without zod's compiled fast path, which builds a function per
 * object schema on its first parse and pays off only over many (15-20 ms of the CLI's 0.3 s start-up).
 */
export const PARSE_ONCE = { jitless: true } as const;

/** Validates one file; the error names the file and every bad key, or a name or year that is not its own. */
export function parseSubjectFile<T extends SubjectFile>(
  schema: z.ZodType<T>,
  kind: string,
  json: unknown,
  year: number,
  name: string,
): T {
  const parsed = schema.safeParse(json, PARSE_ONCE);
  if (!parsed.success) throw new Error(`${kind}/${year}/${name}:\n  ${issuesOf(parsed.error)}`);
  const grade = fileGradeProblem(parsed.data);
  if (grade) throw new Error(`${kind}/${year}/${name}: grade: ${grade}`);
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
