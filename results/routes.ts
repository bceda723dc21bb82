/**
 * Results over HTTP (contract/results.ts): chairs and administrators compute an exam's results and read them,
 * administrators recompute what a changed key made stale, operators record a work's variant.
 */
import type { FastifyInstance } from 'fastify';
import { computeResults, listResults, recomputeStale, setVariant } from '../contract/results.ts';
import { ADMINS, CHAIRS, OPERATORS } from '../platform/access.ts';
import type { ServiceContext } from '../platform/adapters.ts';
import { route } from '../platform/http.ts';
import { type ScoringBasis, shippedBasis } from './basis.ts';
import * as results from './store.ts';

export function resultsRoutes(
  app: FastifyInstance,
  deps: ServiceContext,
  basis: ScoringBasis = shippedBasis({ rules: deps.rulesOf }),
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
}
