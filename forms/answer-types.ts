/**
 * What each short-answer task's answer may look like, per exam, subject and year, as data
 * (calibration/answers/<year>/<exam>-<subject>.json, beside that year's checking rules). A sheet's answer field
 * is read under its task's type once the sheet's subject is known: the symbols narrow to the type's and the
 * answer is decoded as a whole (pipeline/answers.ts).
 */
import { readdirSync } from 'node:fs';
import * as z from 'zod';
import { ALPHABETS } from './alphabets.ts';
import { loadSubjectFiles, parseSubjectFile, SUBJECT_FILE_HEADER } from './subject-files.ts';

/**
 * The shapes a short answer takes (published EGE specifications: numbers, digit sequences, words):
 * - integer: digits, possibly after a minus, not led by a zero;
 * - decimal: an integer or a decimal fraction with a comma, possibly negative (`-0,25`);
 * - digits: a sequence of digits with no sign (answer numbers, a matching);
 * - cyrillic-word: Cyrillic letters, hyphenated parts allowed (`ВСЁ-ТАКИ`);
 * - latin-word: Latin letters (English grammar and word formation);
 * - word-or-number: a Cyrillic word or a decimal number, one of them (a term or a year);
 * - free: anything the field allows.
 */
export const ANSWER_TYPES = [
  'integer',
  'decimal',
  'digits',
  'cyrillic-word',
  'latin-word',
  'word-or-number',
  'free',
] as const;
export type AnswerType = (typeof ANSWER_TYPES)[number];

/** The symbols each type may use; `free` leaves the field's own. */
export const TYPE_SYMBOLS: Record<Exclude<AnswerType, 'free'>, string> = {
  integer: `${ALPHABETS.digits}-`,
  decimal: `${ALPHABETS.digits},-`,
  digits: ALPHABETS.digits,
  'cyrillic-word': `${ALPHABETS.cyrillic}-`,
  'latin-word': ALPHABETS.latin,
  'word-or-number': `${ALPHABETS.digits}${ALPHABETS.cyrillic},-`,
};

/**
 * A whole answer of each type; a value that does not match is a doubt, never coerced. A number has no leading
 * zero (`0908` is no number, `0,08` is): a comma misread as a digit cannot make one.
 */
export const TYPE_PATTERN: Record<AnswerType, RegExp> = {
  integer: /^-?(0|[1-9]\d*)$/,
  decimal: /^-?(0|[1-9]\d*)(,\d+)?$/,
  digits: /^\d+$/,
  'cyrillic-word': /^[А-ЯЁ]+(-[А-ЯЁ]+)*$/,
  'latin-word': /^[A-Z]+$/,
  'word-or-number': /^(-?(0|[1-9]\d*)(,\d+)?|[А-ЯЁ]+(-[А-ЯЁ]+)*)$/,
  free: /^.+$/,
};

const TaskRangeSchema = z
  .strictObject({
    from: z.number().int().min(1).max(99),
    to: z.number().int().min(1).max(99),
    type: z.enum(ANSWER_TYPES),
    note: z.string().min(1).optional(),
  })
  .refine((r) => r.from <= r.to, { message: 'from is after to' });

export const SubjectAnswersSchema = z
  .strictObject({
    ...SUBJECT_FILE_HEADER,
    /** The short-answer tasks by ranges; a task in no range is read as `free`. */
    tasks: z.array(TaskRangeSchema).min(1),
  })
  .superRefine((v, ctx) => {
    const seen = new Set<number>();
    v.tasks.forEach((r, i) => {
      for (let n = r.from; n <= r.to; n++) {
        if (seen.has(n))
          ctx.addIssue({ code: 'custom', path: ['tasks', i], message: `task ${n} in two ranges` });
        seen.add(n);
      }
    });
  });
export type SubjectAnswers = z.infer<typeof SubjectAnswersSchema>;

/** The type of task `task` in a subject; `free` for a task the subject does not type. */
export function answerTypeOf(subject: SubjectAnswers, task: number): AnswerType {
  return subject.tasks.find((r) => task >= r.from && task <= r.to)?.type ?? 'free';
}

export const ANSWERS_DIR = new URL('../calibration/answers/', import.meta.url);

/** Validates one subject's file; the error names the file and every bad key, or a name that is not its own. */
export function parseSubjectAnswers(json: unknown, year: number, name: string): SubjectAnswers {
  return parseSubjectFile(SubjectAnswersSchema, 'answers', json, year, name);
}

/** Every subject's answer types shipped for a year, validated. */
export function loadSubjectAnswers(year: number, dir: URL = ANSWERS_DIR): SubjectAnswers[] {
  const subjects = loadSubjectFiles(dir, 'answers', 'answer types', year, (json, name) =>
    parseSubjectAnswers(json, year, name),
  );
  const codes = subjects.map((s) => `${s.exam} ${s.subjectCode}`);
  const twice = codes.find((c, i) => codes.indexOf(c) !== i);
  if (twice) throw new Error(`answers/${year}: subject ${twice} in two files`);
  return subjects;
}

/** The years shipped in calibration/answers/, newest first. */
export function answerYears(dir: URL = ANSWERS_DIR): number[] {
  return readdirSync(dir)
    .filter((n) => /^\d{4}$/.test(n))
    .map(Number)
    .sort((a, b) => b - a);
}

const loaded = new Map<number, SubjectAnswers[]>();
/** The years shipped, listed once per process: every page asks, and the folder does not change under it. */
let shippedYears: number[] | undefined;

/**
 * The answer types of an exam year's subjects, loaded once per process; none for a year that ships none (its
 * answers are read `free`, not by another year's types). Without a year (a page whose batch names no exam):
 * the newest year shipped, the season being read.
 */
export function shippedAnswers(year?: number): SubjectAnswers[] {
  shippedYears ??= answerYears();
  const years = shippedYears;
  const y = year ?? years[0];
  if (y === undefined || !years.includes(y)) return [];
  let answers = loaded.get(y);
  if (!answers) {
    answers = loadSubjectAnswers(y);
    loaded.set(y, answers);
  }
  return answers;
}
