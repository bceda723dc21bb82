/**
 * Retention for administrators: what falls due, what is held past its date, the holds themselves and the
 * destruction acts; training sets. Holds and training sets are audited by the functions that make them.
 */

import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import {
  chooseTrainingSet,
  destructionAct,
  placeHold,
  releaseHold,
  retentionOutlook,
} from '../contract/retention.ts';
import { ADMINS } from '../platform/access.ts';
import type { ServiceContext } from '../platform/adapters.ts';
import { ServiceError } from '../platform/errors.ts';
import { route } from '../platform/http.ts';
import { examDay } from '../platform/store/exams.ts';
import * as holds from './holds.ts';
import { retentionOutlook as outlook } from './stage.ts';
import { destructionAct as act, activeHolds, liveObjectExists, recentActs } from './store.ts';
import { chooseTrainingSet as choose } from './training.ts';

const access = { roles: ADMINS };

export function retentionRoutes(app: FastifyInstance, deps: ServiceContext): void {
  route(app, retentionOutlook, access, async () => ({
    ...(await outlook(deps, new Date())),
    holds: await activeHolds(deps.db),
    acts: await recentActs(deps.db),
  }));

  route(app, destructionAct, access, async ({ params }) => {
    const found = await act(deps.db, params.id);
    if (!found) throw new ServiceError('no-such-act', `no destruction act ${params.id}`);
    return found;
  });

  route(app, placeHold, access, async ({ body, user }, reply) => {
    const { objectKey, examId, reason } = body;
    const target = objectKey ? { objectKey } : { examId: examId! };
    const known = objectKey
      ? await liveObjectExists(deps.db, objectKey)
      : !!(await examDay(deps.db, examId!));
    if (!known) throw new ServiceError('no-such-object', `no such ${objectKey ? 'live object' : 'exam'}`);
    return reply.code(201).send({ id: await holds.placeHold(deps, target, user.id, reason) });
  });

  route(app, releaseHold, access, async ({ params, user }) => {
    await holds.releaseHold(deps, params.id, user.id);
    return { id: params.id, released: true as const };
  });

  route(app, chooseTrainingSet, access, async ({ body, user }, reply) => {
    const { examId, purpose, pageIds, works } = body;
    const seed = works ? (body.seed ?? randomBytes(8).toString('hex')) : null;
    const set = await choose(
      deps,
      deps.forms,
      { examId, purpose, by: user.id, ...(works ? { works: { count: works, seed: seed! } } : { pageIds }) },
      new Date(),
    );
    return reply.code(201).send({ ...set, seed });
  });
}
