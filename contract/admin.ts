/**
 * Administration and who is calling: users and their roles, exams and their deadlines, the forms and the
 * checking rules in use.
 */
import * as z from 'zod';
import { endpoint } from './endpoint.ts';

export const ROLES = ['operator', 'verifier', 'senior-verifier', 'expert', 'chair', 'admin'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

/** A user id: lower-case letters and digits, then also '.', '_' and '-'; 2 to 64 characters. */
export const USER_ID_PATTERN = '^[a-z0-9][a-z0-9._-]{1,63}$';

export const User = z.object({ id: z.string(), name: z.string(), role: Role });
export type User = z.infer<typeof User>;

/** The signed-in caller: the stations follow their role. */
export const me = endpoint({ method: 'GET', url: '/api/me', answer: User });
export type Me = User;

export const UserRow = User.extend({ disabled: z.boolean() });
export type UserRow = z.infer<typeof UserRow>;

export const listUsers = endpoint({ method: 'GET', url: '/api/users', answer: z.array(UserRow) });

export const NewUser = z.strictObject({
  id: z.string().regex(new RegExp(USER_ID_PATTERN)),
  name: z.string().min(1).max(200),
  role: Role,
});

/** Issues a user (or re-keys one); the key is in this answer only, never stored or logged. 201. */
export const issueUser = endpoint({
  method: 'POST',
  url: '/api/users',
  body: NewUser,
  answer: User.extend({ token: z.string() }),
});
export type IssuedUser = z.infer<typeof issueUser.answer>;

export const disableUser = endpoint({
  method: 'POST',
  url: '/api/users/:id/disable',
  params: z.object({ id: z.string() }),
  answer: z.object({ id: z.string(), disabled: z.literal(true) }),
});

export const FormRow = z.object({ id: z.string(), kind: z.string(), title: z.string(), edition: z.string() });
export type FormRow = z.infer<typeof FormRow>;

export const listForms = endpoint({ method: 'GET', url: '/api/forms', answer: z.array(FormRow) });

/** A checking rule set in use, summed up: its tasks, how many criteria and points, when a third check is due. */
export const RulesRow = z.object({
  exam: z.string(),
  subjectCode: z.string(),
  subject: z.string(),
  /** The subject's name in Russian, where the rules give one. */
  subjectName: z.string().nullable(),
  example: z.boolean(),
  tasks: z.array(z.string()),
  criteria: z.number(),
  maxTotal: z.number(),
  /** The subject's third-check triggers, each named by its kind (domain/checking.ts). */
  thirdCheck: z.array(z.looseObject({ kind: z.string() })),
  combine: z.object({ kind: z.literal('mean'), rounding: z.enum(['up', 'down', 'half-up']) }),
});
export type RulesRow = z.infer<typeof RulesRow>;

export const listRules = endpoint({
  method: 'GET',
  url: '/api/checking/rules',
  query: z.object({ year: z.coerce.number().int().optional() }),
  answer: z.array(RulesRow),
});

/** YYYY-MM-DD; whether it names a real day is the exams' rule (domain/exams.ts). */
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export const Exam = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
  kind: z.enum(['EGE', 'OGE', 'GVE']),
  /** GVE's grade, 9 or 11 (needed for GVE, none for EGE and OGE): GVE-9 and GVE-11 keep materials apart. */
  grade: z
    .union([z.literal(9), z.literal(11)])
    .nullable()
    .optional(),
  subjectCode: z.string().regex(/^[0-9]{2}$/),
  /** The exam's day in its region. */
  date: Day,
  region: z.string().regex(/^[0-9]{2}$/),
  /** IANA zone of the region: retention days and deadlines are local days there. */
  timeZone: z.string().min(1).max(64),
  /** The region's last day for processing; first and second checks are due the day before. */
  processingDeadline: Day.nullable().optional(),
});
export type Exam = z.infer<typeof Exam>;

/** An exam as listed: with its subject's name from the checking rules where they give one. */
export const ExamRow = Exam.extend({ subjectName: z.string().nullable() });
export type ExamRow = z.infer<typeof ExamRow>;

export const listExams = endpoint({ method: 'GET', url: '/api/exams', answer: z.array(ExamRow) });

/** Registers an exam once (201); again is a conflict. */
export const registerExam = endpoint({ method: 'POST', url: '/api/exams', body: Exam, answer: Exam });

export const setDeadline = endpoint({
  method: 'PUT',
  url: '/api/exams/:id/deadline',
  params: z.object({ id: z.string() }),
  body: z.strictObject({ processingDeadline: Day.nullable() }),
  answer: z.object({ id: z.string(), processingDeadline: Day.nullable() }),
});
