/** The verifier's loop: the next doubtful field, its image crop, a decision. */

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { VERIFIERS } from '../platform/access.ts';
import type { ServiceContext } from '../platform/adapters.ts';
import { audit } from '../platform/audit.ts';
import { fieldCrop } from '../recognition/images.ts';
import { queueFollowUp } from '../works/follow-up.ts';
import { type Decision, decide, leasedTaskField, takeNextTask } from './store.ts';

export function verificationRoutes(app: FastifyInstance, deps: ServiceContext): void {
  const verifier = (req: FastifyRequest) => ({
    id: req.user!.id,
    senior: req.user!.role === 'senior-verifier',
  });

  app.post('/api/verification/next', { config: { roles: VERIFIERS } }, async (req, reply) => {
    const task = await takeNextTask(deps.db, verifier(req));
    return task ?? reply.code(204).send();
  });

  app.get<{ Params: { id: string } }>(
    '/api/verification/tasks/:id/image',
    { config: { roles: VERIFIERS } },
    async (req, reply) => {
      const task = await leasedTaskField(deps.db, req.user!.id, Number(req.params.id) || 0);
      const png = await fieldCrop(deps, deps.forms, task.pageId, task.field);
      if (!png) return reply.code(404).send({ error: 'no image for this field' });
      await audit(deps.db, req.user!.id, 'image.view', `${task.pageId}/${task.field}`, {});
      return reply.type('image/png').send(Buffer.from(png));
    },
  );

  app.post<{ Params: { id: string }; Body: Decision }>(
    '/api/verification/tasks/:id',
    {
      config: { roles: VERIFIERS },
      schema: {
        body: {
          type: 'object',
          required: ['action'],
          additionalProperties: false,
          properties: {
            action: { enum: ['confirm', 'correct', 'escalate'] },
            value: { type: 'string', maxLength: 200 },
          },
        },
      },
    },
    async (req) => {
      const body = req.body;
      const decision: Decision =
        body.action === 'correct'
          ? { action: 'correct', value: (body as { value?: string }).value ?? '' }
          : body;
      const outcome = await decide(deps.db, deps.forms, verifier(req), Number(req.params.id) || 0, decision);
      if (outcome.pageFinal) await queueFollowUp(deps.db, deps.queues, outcome.pageId);
      return { pageFinal: outcome.pageFinal };
    },
  );
}
