/**
 * Expert checking over HTTP. An expert sees only checks handed to them, by work code, with the answer-sheet-2
 * pages as images and nothing of the participant; every page view and every score is audited. Chairs
 * register experts, hand checks out or take them back, and follow progress.
 */

import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { loadExpertStandards } from '../domain/checking.ts';
import { CHAIRS, EXPERTS } from '../platform/access.ts';
import type { ServiceContext } from '../platform/adapters.ts';
import { pageImage } from '../platform/images.ts';
import { audit } from '../platform/store/audit.ts';
import { appealKit, KitError, worksBatch, worksZip } from '../print/kits.ts';
import { protocolsPdf } from '../print/protocols.ts';
import { as2Pages } from '../works/store.ts';
import { printedProtocol, printProtocols, voidProtocol } from './protocols.ts';
import { expertStatistics } from './statistics.ts';
import {
  assignChecks,
  checkView,
  correctScore,
  type ExpertRegistration,
  pullChecks,
  registerAppeal,
  registerExpert,
  setReferenceScores,
  submitScores,
  submitScreening,
  takeNextCheck,
} from './store.ts';

const idOf = (raw: string) => Number(raw) || 0;

/**
 * A first or second check `c` of exam `e` past its due day: the day before the processing deadline, in the
 * exam's region.
 */
const PAST_DUE = `c.round in ('first', 'second') and e.processing_deadline is not null
  and (now() at time zone e.time_zone)::date > e.processing_deadline - 1`;

export function checkingRoutes(app: FastifyInstance, deps: ServiceContext): void {
  app.post('/api/checking/next', { config: { roles: EXPERTS } }, async (req, reply: FastifyReply) => {
    const id = await takeNextCheck(deps.db, req.user!.id);
    return id === null ? reply.code(204).send() : checkView(deps.db, deps.rulesOf, id, req.user!.id);
  });

  app.get<{ Params: { id: string } }>(
    '/api/checking/checks/:id',
    { config: { roles: EXPERTS } },
    async (req) => checkView(deps.db, deps.rulesOf, idOf(req.params.id), req.user!.id),
  );

  app.get<{ Params: { id: string; n: string } }>(
    '/api/checking/checks/:id/pages/:n',
    { config: { roles: EXPERTS } },
    async (req, reply) => {
      const view = await checkView(deps.db, deps.rulesOf, idOf(req.params.id), req.user!.id);
      const n = idOf(req.params.n);
      const pageId = (await as2Pages(deps.db, view.workCode))[n - 1];
      if (!pageId) return reply.code(404).send({ error: `the work has ${view.pages} pages` });
      const png = await pageImage(deps, deps.forms, pageId, 'expert');
      if (!png) return reply.code(404).send({ error: 'no image for this page' });
      await audit(deps.db, req.user!.id, 'image.view', `check:${view.id}/page:${n}`, { work: view.workCode });
      return reply.type('image/png').send(Buffer.from(png));
    },
  );

  app.post<{ Params: { id: string }; Body: { scores: Record<string, number> } }>(
    '/api/checking/checks/:id/scores',
    {
      config: { roles: EXPERTS },
      schema: {
        body: {
          type: 'object',
          required: ['scores'],
          additionalProperties: false,
          properties: {
            scores: { type: 'object', maxProperties: 200, additionalProperties: { type: 'integer' } },
          },
        },
      },
    },
    async (req) => submitScores(deps.db, deps.rulesOf, req.user!.id, idOf(req.params.id), req.body.scores),
  );

  app.post<{ Params: { id: string }; Body: { blank: boolean } }>(
    '/api/checking/checks/:id/screening',
    {
      config: { roles: EXPERTS },
      schema: {
        body: {
          type: 'object',
          required: ['blank'],
          additionalProperties: false,
          properties: { blank: { type: 'boolean' } },
        },
      },
    },
    async (req) => submitScreening(deps.db, deps.rulesOf, req.user!.id, idOf(req.params.id), req.body.blank),
  );

  app.post<{ Body: { checkIds: number[]; expertId: string | null } }>(
    '/api/checking/assign',
    {
      config: { roles: CHAIRS },
      schema: {
        body: {
          type: 'object',
          required: ['checkIds', 'expertId'],
          additionalProperties: false,
          properties: {
            checkIds: { type: 'array', maxItems: 5000, items: { type: 'integer' } },
            expertId: { type: ['string', 'null'] },
          },
        },
      },
    },
    async (req) => assignChecks(deps.db, req.user!.id, req.body.checkIds, req.body.expertId),
  );

  app.post<{ Body: { expertId: string; count: number } }>(
    '/api/checking/pull',
    {
      config: { roles: CHAIRS },
      schema: {
        body: {
          type: 'object',
          required: ['expertId', 'count'],
          additionalProperties: false,
          properties: {
            expertId: { type: 'string', minLength: 1 },
            count: { type: 'integer', minimum: 1, maximum: 500 },
          },
        },
      },
    },
    async (req) => ({
      checks: await pullChecks(deps.db, req.user!.id, req.body.expertId, req.body.count),
    }),
  );

  app.post<{ Body: ExpertRegistration }>(
    '/api/checking/experts',
    {
      config: { roles: CHAIRS },
      schema: {
        body: {
          type: 'object',
          required: ['userId', 'year', 'subjectCode', 'status', 'trained', 'qualified', 'briefed', 'seminar'],
          additionalProperties: false,
          properties: {
            userId: { type: 'string', minLength: 1 },
            year: { type: 'integer', minimum: 2000, maximum: 2100 },
            subjectCode: { type: 'string', pattern: '^[0-9]{2}$' },
            status: { enum: ['leading', 'senior', 'main'] },
            trained: { type: 'boolean' },
            qualified: { type: 'boolean' },
            briefed: { type: 'boolean' },
            seminar: { type: 'boolean' },
            conflict: { enum: ['none', 'declared', 'cleared', 'barred'] },
            screening: { type: 'boolean' },
          },
        },
      },
    },
    async (req, reply) => {
      const [user] = await deps.db.query<{ role: string }>('select role from users where id = $1', [
        req.body.userId,
      ]);
      if (!user || !EXPERTS.includes(user.role as (typeof EXPERTS)[number]))
        return reply.code(422).send({ error: `${req.body.userId} is not an expert or chair user` });
      await registerExpert(deps.db, req.body);
      await audit(deps.db, req.user!.id, 'checking.expert', `expert:${req.body.userId}`, {
        year: req.body.year,
        subject: req.body.subjectCode,
        status: req.body.status,
      });
      return reply.code(201).send({ ok: true });
    },
  );

  app.get<{ Querystring: { exam?: string } }>(
    '/api/checking/progress',
    { config: { roles: CHAIRS } },
    async (req) => {
      const exam = req.query.exam ?? null;
      const rounds = await deps.db.query(
        `select c.exam_id as "examId", c.round, c.status, count(*)::int as checks
         from checks c where $1::text is null or c.exam_id = $1
         group by c.exam_id, c.round, c.status order by 1, 2, 3`,
        [exam],
      );
      const overdue = await deps.db.query(
        `select c.id as "checkId", c.work_id as "workCode", c.round, c.expert_id as "expertId",
           to_char(e.processing_deadline - 1, 'YYYY-MM-DD') as "dueDay"
         from checks c join exams e on e.id = c.exam_id
         where c.status <> 'submitted' and ${PAST_DUE} and ($1::text is null or c.exam_id = $1)
         order by c.id limit 1000`,
        [exam],
      );
      // Per expert: what they hold, what they have scored, and how much of what they hold is overdue.
      const experts = await deps.db.query(
        `select c.exam_id as "examId", c.expert_id as "expertId",
           count(*) filter (where c.status = 'assigned')::int as "inHand",
           count(*) filter (where c.status = 'submitted')::int as scored,
           count(*) filter (where c.status = 'assigned' and ${PAST_DUE})::int as overdue
         from checks c join exams e on e.id = c.exam_id
         where c.expert_id is not null and ($1::text is null or c.exam_id = $1)
         group by c.exam_id, c.expert_id order by 1, 2`,
        [exam],
      );
      return { rounds, overdue, experts };
    },
  );

  app.post<{ Body: { workId: string; scores: Record<string, number> } }>(
    '/api/checking/reference',
    {
      config: { roles: CHAIRS },
      schema: {
        body: {
          type: 'object',
          required: ['workId', 'scores'],
          additionalProperties: false,
          properties: {
            workId: { type: 'string', minLength: 1 },
            scores: { type: 'object', maxProperties: 200, additionalProperties: { type: 'integer' } },
          },
        },
      },
    },
    async (req, reply) => {
      await setReferenceScores(deps.db, deps.rulesOf, req.body.workId, req.body.scores, req.user!.id);
      return reply.code(201).send({ workId: req.body.workId });
    },
  );

  app.post<{ Params: { id: string }; Body: { criterion: string; points: number; reason: string } }>(
    '/api/checking/checks/:id/corrections',
    {
      config: { roles: CHAIRS },
      schema: {
        body: {
          type: 'object',
          required: ['criterion', 'points', 'reason'],
          additionalProperties: false,
          properties: {
            criterion: { type: 'string', minLength: 1 },
            points: { type: 'integer' },
            reason: { type: 'string', minLength: 1, maxLength: 2000 },
          },
        },
      },
    },
    async (req) =>
      correctScore(deps.db, deps.rulesOf, {
        checkId: idOf(req.params.id),
        ...req.body,
        approvedBy: req.user!.id,
      }),
  );

  app.get<{ Querystring: { year?: string; kind?: string; subject?: string } }>(
    '/api/checking/statistics',
    { config: { roles: CHAIRS } },
    async (req, reply) => {
      const year = Number(req.query.year);
      const subjectCode = req.query.subject ?? '';
      if (!Number.isInteger(year) || !/^\d{2}$/.test(subjectCode))
        return reply.code(400).send({ error: 'give year=YYYY and subject=NN (and kind, EGE by default)' });
      const subject = { year, kind: req.query.kind ?? 'EGE', subjectCode };
      return expertStatistics(deps.db, deps.rulesOf, loadExpertStandards(year), subject);
    },
  );

  app.post<{ Body: { workId: string; reason: string } }>(
    '/api/appeals',
    {
      config: { roles: CHAIRS },
      schema: {
        body: {
          type: 'object',
          required: ['workId', 'reason'],
          additionalProperties: false,
          properties: {
            workId: { type: 'string', minLength: 1 },
            reason: { type: 'string', minLength: 1, maxLength: 2000 },
          },
        },
      },
    },
    async (req, reply) =>
      reply
        .code(201)
        .send(await registerAppeal(deps.db, deps.rulesOf, req.body.workId, req.user!.id, req.body.reason)),
  );

  app.get('/api/appeals', { config: { roles: CHAIRS } }, async () =>
    deps.db.query(
      `select id, work_id as "workCode", registered_by as "registeredBy", registered_at as "registeredAt", reason,
         status, outcome, total_before as "totalBefore", total_after as "totalAfter", decided_at as "decidedAt"
       from appeals order by id desc limit 1000`,
    ),
  );

  // Printing and exports carry images out of the system: each one is an audit event.
  app.get<{ Params: { id: string } }>(
    '/api/appeals/:id/kit',
    { config: { roles: CHAIRS } },
    async (req, reply) => {
      try {
        const pdf = await appealKit(deps, deps.forms, idOf(req.params.id));
        await audit(deps.db, req.user!.id, 'export.appeal-kit', `appeal:${req.params.id}`, {
          bytes: pdf.length,
        });
        return reply.type('application/pdf').send(Buffer.from(pdf));
      } catch (err) {
        if (err instanceof KitError) return reply.code(404).send({ error: err.message });
        throw err;
      }
    },
  );

  // A chair's batch of works, depersonalised, as one PDF or a ZIP of images.
  const worksExport = (
    url: string,
    action: string,
    type: string,
    make: (workIds: string[]) => Promise<Uint8Array | Readable>,
  ) =>
    app.post<{ Body: { workIds: string[] } }>(
      url,
      {
        config: { roles: CHAIRS },
        schema: {
          body: {
            type: 'object',
            required: ['workIds'],
            additionalProperties: false,
            properties: { workIds: { type: 'array', minItems: 1, maxItems: 500, items: { type: 'string' } } },
          },
        },
      },
      async (req, reply) => {
        try {
          const made = await make(req.body.workIds);
          await audit(deps.db, req.user!.id, action, 'works', { works: req.body.workIds });
          return reply.type(type).send(made instanceof Uint8Array ? Buffer.from(made) : made);
        } catch (err) {
          if (err instanceof KitError) return reply.code(404).send({ error: err.message });
          throw err;
        }
      },
    );
  worksExport('/api/checking/batch-pdf', 'export.works-pdf', 'application/pdf', (ids) =>
    worksBatch(deps, deps.forms, ids),
  );
  worksExport('/api/checking/batch-zip', 'export.works-zip', 'application/zip', (ids) =>
    worksZip(deps, deps.forms, ids),
  );

  // Paper mode: protocols for the checks an expert holds; their scans come back through the intake.
  app.post<{ Body: { expertId: string; checkIds: number[] } }>(
    '/api/checking/protocols',
    {
      config: { roles: CHAIRS },
      schema: {
        body: {
          type: 'object',
          required: ['expertId', 'checkIds'],
          additionalProperties: false,
          properties: {
            expertId: { type: 'string', minLength: 1 },
            checkIds: {
              type: 'array',
              minItems: 1,
              maxItems: 500,
              uniqueItems: true,
              items: { type: 'integer' },
            },
          },
        },
      },
    },
    async (req, reply) => {
      const printed = await printProtocols(
        deps.db,
        deps.rulesOf,
        req.user!.id,
        req.body.expertId,
        req.body.checkIds,
      );
      return reply
        .type('application/pdf')
        .header('x-protocols', printed.map((p) => p.sheetNumber).join(','))
        .send(Buffer.from(await protocolsPdf(deps.forms, printed)));
    },
  );

  app.get<{ Querystring: { status?: string } }>(
    '/api/checking/protocols',
    { config: { roles: CHAIRS } },
    async (req) =>
      deps.db.query(
        `select p.sheet_number as "sheetNumber", p.exam_id as "examId", p.expert_id as "expertId",
           p.printed_by as "printedBy", p.printed_at as "printedAt", p.status, p.reason, p.settled_at as "settledAt",
           (select count(distinct l.check_id)::int from protocol_lines l where l.sheet_number = p.sheet_number) as checks
         from protocols p where $1::text is null or p.status = $1 order by p.printed_at desc limit 1000`,
        [req.query.status ?? null],
      ),
  );

  app.get<{ Params: { sheet: string } }>(
    '/api/checking/protocols/:sheet/pdf',
    { config: { roles: CHAIRS } },
    async (req, reply) => {
      const p = await printedProtocol(deps.db, req.params.sheet);
      if (!p) return reply.code(404).send({ error: `no protocol ${req.params.sheet} out with an expert` });
      await audit(deps.db, req.user!.id, 'print.protocols', `protocol:${p.sheetNumber}`, { reprint: true });
      return reply.type('application/pdf').send(Buffer.from(await protocolsPdf(deps.forms, [p])));
    },
  );

  app.post<{ Params: { sheet: string }; Body: { reason: string } }>(
    '/api/checking/protocols/:sheet/void',
    {
      config: { roles: CHAIRS },
      schema: {
        body: {
          type: 'object',
          required: ['reason'],
          additionalProperties: false,
          properties: { reason: { type: 'string', minLength: 1, maxLength: 2000 } },
        },
      },
    },
    async (req, reply) =>
      (await voidProtocol(deps.db, req.user!.id, req.params.sheet, req.body.reason))
        ? { sheetNumber: req.params.sheet, status: 'void' }
        : reply.code(409).send({ error: `protocol ${req.params.sheet} is not printed or rejected` }),
  );
}
