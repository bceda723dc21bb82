/**
 * The regional information system's export over HTTP, for administrators: files and mapping in, the counts or
 * every row-level error out (422, nothing taken). Kits taken are assembled from whatever sheets are here.
 */
import type { FastifyInstance } from 'fastify';
import { importRis } from '../contract/participants.ts';
import { parseMapping } from '../domain/ris.ts';
import { ADMINS } from '../platform/access.ts';
import type { ServiceContext } from '../platform/adapters.ts';
import { ServiceError } from '../platform/errors.ts';
import { route } from '../platform/http.ts';
import { queueAssembly } from '../works/follow-up.ts';
import * as store from './store.ts';

export function participantsRoutes(app: FastifyInstance, deps: ServiceContext): void {
  route(app, importRis, { roles: ADMINS }, async ({ body, user }, reply) => {
    let mapping: ReturnType<typeof parseMapping>;
    try {
      mapping = parseMapping(body.mapping);
    } catch (err) {
      throw new ServiceError('bad-value', (err as Error).message);
    }
    const files = body.files.map((f) => ({ name: f.name, bytes: Buffer.from(f.content, 'base64') }));
    const result = await store.importRis(deps.db, mapping, files, user.id);
    if (!result.imported) return reply.code(422).send(result);
    await queueAssembly(deps.queues, result.kitIds);
    const { kitIds: _, ...counts } = result;
    return counts;
  });
}
