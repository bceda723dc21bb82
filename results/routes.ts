/**
 * Results over HTTP (contract/results.ts): chairs and administrators compute an exam's results and read them,
 * and take them out (files for the regional system and the federal centre, protocols, the publication
 * package); administrators recompute what a changed key made stale, operators record a work's variant.
 */
import type { FastifyInstance } from 'fastify';
import {
  analyticsFigure,
  computeResults,
  examAnalytics,
  exportResults,
  listResults,
  publicationPackage,
  recomputeStale,
  resultsProtocols,
  setVariant,
} from '../contract/results.ts';
import { ADMINS, CHAIRS, OPERATORS } from '../platform/access.ts';
import type { ServiceContext } from '../platform/adapters.ts';
import { route } from '../platform/http.ts';
import * as analytics from './analytics.ts';
import { type ScoringBasis, shippedBasis } from './basis.ts';
import * as exports from './export.ts';
import * as results from './store.ts';

export function resultsRoutes(
  app: FastifyInstance,
  deps: ServiceContext,
  basis: ScoringBasis = shippedBasis({ rules: deps.rulesOf }),
  layouts: exports.LayoutsOf = exports.shippedLayouts(),
): void {
  route(app, computeResults, { roles: CHAIRS }, async ({ params, user }) =>
    results.computeResults(deps.db, basis, params.id, user.id),
  );

  route(app, listResults, { roles: CHAIRS }, async ({ params }) => results.listResults(deps.db, params.id));

  route(app, recomputeStale, { roles: ADMINS }, async ({ user }) =>
    results.recomputeStale(deps.db, basis, user.id),
  );

  route(app, setVariant, { roles: OPERATORS }, async ({ params, body, user }) => {
    await results.setVariant(deps.db, params.code, body.variant, user.id);
    return { workId: params.code, variant: body.variant };
  });

  // Results out: each export writes its audit entry (who, what, how many rows) in the room's functions.
  route(app, exportResults, { roles: CHAIRS }, async ({ params, query, user }, reply) => {
    const file = await exports.exportResults(deps.db, layouts, params.id, query.layout, user.id);
    return reply
      .type(file.mediaType)
      .header('content-disposition', `attachment; filename="${file.fileName}"`)
      .header('x-rows', String(file.rows))
      .header('x-withheld', String(file.withheld))
      .send(Buffer.from(file.bytes));
  });

  route(app, resultsProtocols, { roles: CHAIRS }, async ({ params, query, user }, reply) => {
    const pdf = await exports.exportProtocols(deps.db, params.id, query.by, user.id, query.group);
    return reply.type('application/pdf').send(Buffer.from(pdf));
  });

  route(app, publicationPackage, { roles: CHAIRS }, async ({ params, query, user }, reply) => {
    const { zip, fileName } = await exports.publicationPackage(
      deps,
      deps.forms,
      layouts,
      params.id,
      user.id,
      query.work,
    );
    return reply
      .type('application/zip')
      .header('content-disposition', `attachment; filename="${fileName}"`)
      .send(zip);
  });

  route(app, examAnalytics, { roles: CHAIRS }, async ({ params, query }) =>
    analytics.examAnalytics(deps.db, params.id, query),
  );

  route(app, analyticsFigure, { roles: CHAIRS }, async ({ params, query }, reply) => {
    const { format, ...rule } = query;
    const file = await analytics.analyticsFigure(deps.db, params.id, params.figure, format, rule);
    return reply
      .type(file.mediaType)
      .header('content-disposition', `attachment; filename="${file.fileName}"`)
      .send(Buffer.from(file.bytes));
  });
}
