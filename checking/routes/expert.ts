/**
 * The expert's checks: only those handed to them, by work code, with the answer-sheet-2 pages as images and
 * nothing of the participant; every page view and every score is audited.
 */

import type { FastifyInstance } from 'fastify';
import * as api from '../../contract/checking.ts';
import { EXPERTS } from '../../platform/access.ts';
import type { ServiceContext } from '../../platform/adapters.ts';
import { route } from '../../platform/http.ts';
import { pageImage } from '../../platform/images.ts';
import { audit } from '../../platform/store/audit.ts';
import { CheckingError } from '../errors.ts';
import { checkPage, checkView, saveDraft, submitScores, submitScreening, takeNextCheck } from '../store.ts';

const access = { roles: EXPERTS };

export function expertRoutes(app: FastifyInstance, deps: ServiceContext): void {
  const { db, rulesOf } = deps;

  route(app, api.nextCheck, access, async ({ user }, reply) => {
    const id = await takeNextCheck(db, user.id);
    return id === null ? reply.code(204).send() : checkView(db, rulesOf, id, user.id);
  });

  route(app, api.check, access, async ({ params, user }) => checkView(db, rulesOf, params.id, user.id));

  route(app, api.checkPage, access, async ({ params, user }, reply) => {
    const page = await checkPage(db, params.id, user.id, params.n);
    const png = await pageImage(deps, deps.forms, page.pageId, 'expert');
    if (!png) throw new CheckingError('no-such-page', 'no image for this page');
    await audit(db, user.id, 'image.view', `check:${params.id}/page:${params.n}`, { work: page.workCode });
    return reply.type('image/png').send(Buffer.from(png));
  });

  route(app, api.scoreCheck, access, async ({ params, body, user }) =>
    submitScores(db, rulesOf, user.id, params.id, body.scores),
  );

  route(app, api.saveDraft, access, async ({ params, body, user }) =>
    saveDraft(db, rulesOf, user.id, params.id, body.scores),
  );

  route(app, api.screenCheck, access, async ({ params, body, user }) =>
    submitScreening(db, rulesOf, user.id, params.id, body.blank),
  );
}
