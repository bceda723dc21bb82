/**
 * Exams: administrators register them and set each one's regional processing deadline (first and second
 * checks fall due the day before); operators and chairs read them to name batches and follow deadlines.
 */

import type { FastifyInstance } from 'fastify';
import { ADMINS, STAFF } from '../../platform/access.ts';
import type { ServiceContext } from '../../platform/adapters.ts';
import { audit } from '../../platform/store/audit.ts';
import { type Exam, listExams, registerExam, setProcessingDeadline } from '../../platform/store/exams.ts';

const DAY = '^\\d{4}-\\d{2}-\\d{2}$';

/** A YYYY-MM-DD string that names a real day (the pattern alone lets 2026-02-30 through). */
const realDay = (d: string) => {
  const t = new Date(`${d}T00:00:00Z`);
  return !Number.isNaN(t.getTime()) && t.toISOString().slice(0, 10) === d;
};

export function examRoutes(app: FastifyInstance, deps: ServiceContext): void {
  app.get('/api/exams', { config: { roles: STAFF } }, async () => listExams(deps.db));

  app.post<{ Body: Exam }>(
    '/api/exams',
    {
      config: { roles: ADMINS },
      schema: {
        body: {
          type: 'object',
          required: ['id', 'kind', 'subjectCode', 'date', 'region', 'timeZone'],
          additionalProperties: false,
          properties: {
            id: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' },
            kind: { enum: ['EGE', 'OGE', 'GVE'] },
            subjectCode: { type: 'string', pattern: '^[0-9]{2}$' },
            date: { type: 'string', pattern: DAY },
            region: { type: 'string', pattern: '^[0-9]{2}$' },
            timeZone: { type: 'string', minLength: 1, maxLength: 64 },
            processingDeadline: { type: ['string', 'null'], pattern: DAY },
          },
        },
      },
    },
    async (req, reply) => {
      const exam = req.body;
      const deadline = exam.processingDeadline ?? null;
      if (!realDay(exam.date) || (deadline !== null && !realDay(deadline)))
        return reply.code(422).send({ error: 'dates are real days, YYYY-MM-DD' });
      if (deadline !== null && deadline < exam.date)
        return reply.code(422).send({ error: 'the processing deadline cannot come before the exam' });
      let created: boolean;
      try {
        created = await registerExam(deps.db, exam);
      } catch (err) {
        return reply.code(422).send({ error: (err as Error).message });
      }
      if (!created) return reply.code(409).send({ error: `exam ${exam.id} is already registered` });
      await audit(deps.db, req.user!.id, 'exam.register', `exam:${exam.id}`, { ...exam });
      return reply.code(201).send(exam);
    },
  );

  app.put<{ Params: { id: string }; Body: { processingDeadline: string | null } }>(
    '/api/exams/:id/deadline',
    {
      config: { roles: ADMINS },
      schema: {
        body: {
          type: 'object',
          required: ['processingDeadline'],
          additionalProperties: false,
          properties: { processingDeadline: { type: ['string', 'null'], pattern: DAY } },
        },
      },
    },
    async (req, reply) => {
      const deadline = req.body.processingDeadline;
      if (deadline !== null && !realDay(deadline))
        return reply.code(422).send({ error: `${deadline} is not a day` });
      const [exam] = await deps.db.query<{ date: string }>(
        `select to_char(exam_date, 'YYYY-MM-DD') as date from exams where id = $1`,
        [req.params.id],
      );
      if (!exam) return reply.code(404).send({ error: `no exam ${req.params.id}` });
      if (deadline !== null && deadline < exam.date)
        return reply.code(422).send({ error: 'the processing deadline cannot come before the exam' });
      await setProcessingDeadline(deps.db, req.params.id, deadline);
      await audit(deps.db, req.user!.id, 'exam.deadline', `exam:${req.params.id}`, { deadline });
      return { id: req.params.id, processingDeadline: deadline };
    },
  );
}
