/**
 * Exams: administrators register them and set each one's regional processing deadline (first and second
 * checks fall due the day before); operators and chairs read them to name batches and follow deadlines.
 */

import type { FastifyInstance } from 'fastify';
import { type Exam, listExams, registerExam, setDeadline } from '../../contract/admin.ts';
import type { RulesOf } from '../../domain/checking.ts';
import { deadlineProblem, examProblem, gradeProblem } from '../../domain/exams.ts';
import { ADMINS, STAFF } from '../../platform/access.ts';
import type { ServiceContext } from '../../platform/adapters.ts';
import { ServiceError } from '../../platform/errors.ts';
import { route } from '../../platform/http.ts';
import { audit } from '../../platform/store/audit.ts';
import * as exams from '../../platform/store/exams.ts';

function subjectName(rulesOf: RulesOf, exam: Exam): string | null {
  try {
    return (
      rulesOf({
        year: Number(exam.date.slice(0, 4)),
        kind: exam.kind,
        grade: exam.grade,
        subjectCode: exam.subjectCode,
      }).subjectName ?? null
    );
  } catch {
    return null;
  }
}

export function examRoutes(app: FastifyInstance, deps: ServiceContext): void {
  // Each exam with its subject's name from the year's checking rules; an exam without rules has none.
  route(app, listExams, { roles: STAFF }, async () =>
    (await exams.listExams(deps.db)).map((exam) => ({
      ...exam,
      subjectName: subjectName(deps.rulesOf, exam),
    })),
  );

  route(app, registerExam, { roles: ADMINS }, async ({ body: exam, user }, reply) => {
    const problem = examProblem(exam);
    if (problem) throw new ServiceError('bad-value', problem);
    const grade = gradeProblem(exam);
    if (grade) throw new ServiceError('exam-grade', grade, { kind: exam.kind });
    if (!(await exams.registerExam(deps.db, exam)))
      throw new ServiceError('conflict', `exam ${exam.id} is already registered`);
    await audit(deps.db, user.id, 'exam.register', `exam:${exam.id}`, { ...exam });
    return reply.code(201).send(exam);
  });

  route(app, setDeadline, { roles: ADMINS }, async ({ params, body, user }) => {
    const deadline = body.processingDeadline;
    const exam = await exams.examDay(deps.db, params.id);
    if (!exam) throw new ServiceError('no-such-exam', `no exam ${params.id}`);
    const problem = deadlineProblem(exam.date, deadline);
    if (problem) throw new ServiceError('bad-value', problem);
    await exams.setProcessingDeadline(deps.db, params.id, deadline);
    await audit(deps.db, user.id, 'exam.deadline', `exam:${params.id}`, { deadline });
    return { id: params.id, processingDeadline: deadline };
  });
}
