/** The verifier's loop over HTTP: the next doubtful field, its image crop, a decision, undo and release. */
import type { FastifyInstance } from 'fastify';
import {
  controlSample,
  decideTask,
  nextTask,
  releaseTask,
  stationState,
  taskImage,
  undoDecision,
} from '../contract/verification.ts';
import { controlEstimate } from '../domain/verification.ts';
import { ADMINS, VERIFIERS } from '../platform/access.ts';
import type { ServiceContext } from '../platform/adapters.ts';
import { route } from '../platform/http.ts';
import { fieldCrop } from '../platform/images.ts';
import { audit } from '../platform/store/audit.ts';
import type { User } from '../platform/store/users.ts';
import { queueFollowUp } from '../works/follow-up.ts';
import { groupRoutes } from './routes/group.ts';
import * as store from './store.ts';

const verifier = (user: User) => ({ id: user.id, senior: user.role === 'senior-verifier' });
const access = { roles: VERIFIERS };

export function verificationRoutes(app: FastifyInstance, deps: ServiceContext): void {
  route(app, nextTask, access, async ({ body, user }, reply) => {
    const task = await store.takeNextTask(deps.db, verifier(user), undefined, undefined, body?.holding);
    return task ?? reply.code(204).send();
  });

  route(app, taskImage, access, async ({ params, user }, reply) => {
    const task = await store.leasedTaskField(deps.db, user.id, params.id);
    const png = await fieldCrop(deps, deps.forms, task.pageId, task.field);
    if (!png) return reply.code(404).send({ code: 'no-such-image', error: 'no image for this field' });
    await audit(deps.db, user.id, 'image.view', `${task.pageId}/${task.field}`, {});
    return reply.type('image/png').send(Buffer.from(png));
  });

  route(app, decideTask, access, async ({ params, body, user }) => {
    const outcome = await store.decide(deps.db, deps.forms, verifier(user), params.id, body);
    if (outcome.pageFinal) await queueFollowUp(deps.db, deps.queues, outcome.pageId);
    return { pageFinal: outcome.pageFinal };
  });

  route(app, releaseTask, access, async ({ params, user }) => ({
    released: await store.releaseTask(deps.db, user.id, params.id),
  }));

  route(app, undoDecision, access, ({ params, user }) =>
    store.undoDecision(deps.db, verifier(user), params.id),
  );

  route(app, stationState, access, async ({ query, user }) => ({
    dwellMs: deps.verifyDwellMs,
    ...(await store.stationCounts(deps.db, verifier(user), new Date(query.since))),
  }));

  route(app, controlSample, { roles: ADMINS }, async () =>
    (await store.controlCounts(deps.db)).map((c) => ({ ...c, ...controlEstimate(c.decided, c.corrected) })),
  );

  groupRoutes(app, deps);
}
