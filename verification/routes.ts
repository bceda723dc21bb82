/** The verifier's loop over HTTP: the next doubtful field, its image crop, a decision. */
import type { FastifyInstance } from 'fastify';
import { decideTask, nextTask, taskImage } from '../contract/verification.ts';
import { VERIFIERS } from '../platform/access.ts';
import type { ServiceContext } from '../platform/adapters.ts';
import { route } from '../platform/http.ts';
import { fieldCrop } from '../platform/images.ts';
import { audit } from '../platform/store/audit.ts';
import type { User } from '../platform/store/users.ts';
import { queueFollowUp } from '../works/follow-up.ts';
import { decide, leasedTaskField, takeNextTask } from './store.ts';

const verifier = (user: User) => ({ id: user.id, senior: user.role === 'senior-verifier' });
const access = { roles: VERIFIERS };

export function verificationRoutes(app: FastifyInstance, deps: ServiceContext): void {
  route(app, nextTask, access, async ({ user }, reply) => {
    return (await takeNextTask(deps.db, verifier(user))) ?? reply.code(204).send();
  });

  route(app, taskImage, access, async ({ params, user }, reply) => {
    const task = await leasedTaskField(deps.db, user.id, params.id);
    const png = await fieldCrop(deps, deps.forms, task.pageId, task.field);
    if (!png) return reply.code(404).send({ code: 'no-such-image', error: 'no image for this field' });
    await audit(deps.db, user.id, 'image.view', `${task.pageId}/${task.field}`, {});
    return reply.type('image/png').send(Buffer.from(png));
  });

  route(app, decideTask, access, async ({ params, body, user }) => {
    const outcome = await decide(deps.db, deps.forms, verifier(user), params.id, body);
    if (outcome.pageFinal) await queueFollowUp(deps.db, deps.queues, outcome.pageId);
    return { pageFinal: outcome.pageFinal };
  });
}
