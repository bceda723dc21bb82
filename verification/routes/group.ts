/** Group verification over HTTP: a group of doubtful fields of one kind, and its decisions. */
import type { FastifyInstance } from 'fastify';
import { decideGroup, nextGroup, releaseGroup } from '../../contract/verification-group.ts';
import { VERIFIERS } from '../../platform/access.ts';
import type { ServiceContext } from '../../platform/adapters.ts';
import { route } from '../../platform/http.ts';
import type { User } from '../../platform/store/users.ts';
import { queueFollowUp } from '../../works/follow-up.ts';
import { decideGroup as decideInGroup, releaseGroup as release, takeGroup } from '../store/group.ts';

const verifier = (user: User) => ({ id: user.id, senior: user.role === 'senior-verifier' });
const access = { roles: VERIFIERS };

export function groupRoutes(app: FastifyInstance, deps: ServiceContext): void {
  route(app, nextGroup, access, async ({ body, user }, reply) => {
    const group = await takeGroup(deps.db, verifier(user), body);
    if (!group) return reply.code(204).send();
    // The station holds each key until every crop could have been looked at once (an API built without
    // settings, as in tests of other rooms, holds none).
    return { ...group, dwellMs: (deps.groupDwellMs ?? 0) * group.tasks.length };
  });

  route(app, decideGroup, access, async ({ body, user }) => {
    const { outcomes, finalPages } = await decideInGroup(deps.db, deps.forms, verifier(user), body.decisions);
    for (const pageId of finalPages) await queueFollowUp(deps.db, deps.queues, pageId);
    return { outcomes };
  });

  route(app, releaseGroup, access, async ({ body, user }) => ({
    released: await release(deps.db, user.id, body.tasks),
  }));
}
