/**
 * Chairs' side of checking: experts, handing checks out and back, progress and what is overdue, reference works,
 * corrections, figures.
 */

import type { FastifyInstance } from 'fastify';
import * as api from '../../contract/checking.ts';
import { loadExpertStandards } from '../../domain/checking.ts';
import { CHAIRS } from '../../platform/access.ts';
import type { ServiceContext } from '../../platform/adapters.ts';
import { route } from '../../platform/http.ts';
import { figureFile } from '../../platform/images.ts';
import { agreementFigure, expertStatistics } from '../statistics.ts';
import {
  assignChecks,
  checkingProgress,
  correctScore,
  enrolExpert,
  expertCandidates,
  overdue,
  pullChecks,
  setReferenceScores,
} from '../store.ts';

const access = { roles: CHAIRS };

export function chairRoutes(app: FastifyInstance, deps: ServiceContext): void {
  const { db, rulesOf } = deps;

  route(app, api.registerExpert, access, async ({ body, user }, reply) => {
    await enrolExpert(db, user.id, body);
    reply.code(201);
    return { ok: true as const };
  });

  route(app, api.assignChecks, access, async ({ body, user }) =>
    assignChecks(db, user.id, body.checkIds, body.expertId),
  );

  route(app, api.pullChecks, access, async ({ body, user }) =>
    pullChecks(db, user.id, body.expertId, body.count),
  );

  route(app, api.listExperts, access, async ({ query }) => expertCandidates(db, query.year, query.subject));

  route(app, api.progress, access, async ({ query }) => checkingProgress(db, query.exam ?? null));
  route(app, api.overdue, access, async () => overdue(db));

  route(app, api.setReference, access, async ({ body, user }, reply) => {
    await setReferenceScores(db, rulesOf, body.workId, body.scores, user.id);
    reply.code(201);
    return { workId: body.workId };
  });

  route(app, api.correctScore, access, async ({ params, body, user }) =>
    correctScore(db, rulesOf, { checkId: params.id, ...body, approvedBy: user.id }),
  );

  route(app, api.statistics, access, async ({ query }) => {
    const subject = { year: query.year, kind: query.kind, subjectCode: query.subject };
    return expertStatistics(db, rulesOf, loadExpertStandards(query.year), subject);
  });

  route(app, api.statisticsFigure, access, async ({ query }, reply) => {
    const subject = { year: query.year, kind: query.kind, subjectCode: query.subject };
    const stats = await expertStatistics(db, rulesOf, loadExpertStandards(query.year), subject);
    const name = `experts-${query.kind}-${query.subject}-${query.year}`;
    const file = await figureFile(agreementFigure(stats, subject), query.format, name);
    return reply
      .type(file.mediaType)
      .header('content-disposition', `attachment; filename="${file.fileName}"`)
      .send(Buffer.from(file.bytes));
  });
}
