/**
 * Score appeals: registered by chairs, listed, decided as the conflict commission decided, followed step by
 * step on the regulation's clock, and printed as the appeal commission's kit (audited).
 */

import type { FastifyInstance } from 'fastify';
import * as api from '../../contract/checking.ts';
import { CHAIRS } from '../../platform/access.ts';
import type { ServiceContext } from '../../platform/adapters.ts';
import { route } from '../../platform/http.ts';
import { audit } from '../../platform/store/audit.ts';
import { appealKit } from '../../print/kits.ts';
import {
  appealKitContent,
  appealStepsOf,
  decideAppeal,
  listAppeals,
  recordAppealStep,
  registerAppeal,
} from '../store.ts';

const access = { roles: CHAIRS };

export function appealRoutes(app: FastifyInstance, deps: ServiceContext): void {
  const { db, rulesOf } = deps;

  route(app, api.registerAppeal, access, async ({ body, user }, reply) => {
    const registered = await registerAppeal(db, rulesOf, body.workId, user.id, body.reason, body.filedOn);
    reply.code(201);
    return registered;
  });

  route(app, api.appeals, access, async () => listAppeals(db));

  route(app, api.decideAppeal, access, async ({ params, body, user }) =>
    decideAppeal(db, rulesOf, params.id, user.id, body.outcome, body.heardOn),
  );

  route(app, api.appealSteps, access, async ({ params }) => appealStepsOf(db, params.id));

  route(app, api.recordAppealStep, access, async ({ params, body, user }) =>
    recordAppealStep(db, params.id, params.step, user.id, body.doneOn),
  );

  // Printing carries images out of the system: each kit is an audit event.
  route(app, api.appealKit, access, async ({ params, user }, reply) => {
    const pdf = await appealKit(deps, deps.forms, await appealKitContent(db, params.id));
    await audit(db, user.id, 'export.appeal-kit', `appeal:${params.id}`, { bytes: pdf.length });
    return reply.type('application/pdf').send(Buffer.from(pdf));
  });
}
