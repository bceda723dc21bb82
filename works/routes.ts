/**
 * Works over HTTP, for operators: which scan of a sheet stands, the kit manifest from the printing system, and
 * assembly on demand.
 */
import type { FastifyInstance } from 'fastify';
import { OPERATORS } from '../platform/access.ts';
import type { ServiceContext } from '../platform/adapters.ts';
import { jobId } from '../platform/queues.ts';
import { audit } from '../platform/store/audit.ts';
import { queueFollowUp } from './follow-up.ts';
import { chooseScan } from './sheets.ts';
import { assembleWorks, importKits } from './store.ts';

export function worksRoutes(app: FastifyInstance, deps: ServiceContext): void {
  app.post<{ Params: { number: string }; Body: { pageId: string; reason: string } }>(
    '/api/sheets/:number/scan',
    {
      config: { roles: OPERATORS },
      schema: {
        body: {
          type: 'object',
          required: ['pageId', 'reason'],
          additionalProperties: false,
          properties: {
            pageId: { type: 'string', minLength: 1 },
            reason: { type: 'string', minLength: 1, maxLength: 2000 },
          },
        },
      },
    },
    async (req) => {
      const choice = await chooseScan(
        deps.db,
        req.params.number,
        req.body.pageId,
        req.user!.id,
        req.body.reason,
      );
      // A final scan takes the sheet's place in its work at once.
      if (choice.status === 'final') await queueFollowUp(deps.db, deps.queues, choice.pageId);
      return choice;
    },
  );

  app.addContentTypeParser(
    'text/csv',
    { parseAs: 'string', bodyLimit: 20 * 1024 * 1024 },
    (_req, body, done) => done(null, body),
  );

  app.post<{ Body: string }>('/api/kits', { config: { roles: OPERATORS } }, async (req, reply) => {
    if (typeof req.body !== 'string')
      return reply.code(415).send({ error: 'send the kit manifest as text/csv' });
    const { kitIds, ...result } = await importKits(deps.db, req.body);
    // Each kit is assembled from whatever of its sheets are already here; the rest follow as they become final.
    const stamp = new Date().toISOString();
    for (const kitId of kitIds) await deps.queues.add('assemble', jobId('kit', kitId, stamp), { kitId });
    await audit(deps.db, req.user!.id, 'kits.import', 'kits', {
      kits: result.kits,
      errors: result.errors.length,
    });
    return result;
  });

  app.post('/api/works/assemble', { config: { roles: OPERATORS } }, async () => assembleWorks(deps.db));
}
