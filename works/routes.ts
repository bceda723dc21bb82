/**
 * Works over HTTP, for operators: which scan of a sheet stands, the kit manifest from the printing system, and
 * assembly on demand.
 */
import type { FastifyInstance } from 'fastify';
import { assembleWorks, chooseScan, importKits } from '../contract/works.ts';
import { OPERATORS } from '../platform/access.ts';
import type { ServiceContext } from '../platform/adapters.ts';
import { ServiceError } from '../platform/errors.ts';
import { route } from '../platform/http.ts';
import { audit } from '../platform/store/audit.ts';
import { queueAssembly, queueFollowUp } from './follow-up.ts';
import * as sheets from './store/sheets.ts';
import * as works from './store.ts';

const access = { roles: OPERATORS };

export function worksRoutes(app: FastifyInstance, deps: ServiceContext): void {
  route(app, chooseScan, access, async ({ params, body, user }) => {
    const choice = await sheets.chooseScan(deps.db, params.number, body.pageId, user.id, body.reason);
    // A final scan takes the sheet's place in its work at once.
    if (choice.status === 'final') await queueFollowUp(deps.db, deps.queues, choice.pageId);
    return choice;
  });

  // The manifest comes as text/csv, read whole (a few MB at most) and parsed by importKits.
  app.addContentTypeParser(
    'text/csv',
    { parseAs: 'string', bodyLimit: 20 * 1024 * 1024 },
    (_req, body, done) => done(null, body),
  );

  route(app, importKits, access, async ({ raw, user }) => {
    if (typeof raw.body !== 'string')
      throw new ServiceError('wrong-media-type', 'send the kit manifest as text/csv');
    const { kitIds, ...result } = await works.importKits(deps.db, raw.body);
    // Each kit is assembled from whatever of its sheets are already here; the rest follow as they become final.
    await queueAssembly(deps.queues, kitIds);
    await audit(deps.db, user.id, 'kits.import', 'kits', { kits: result.kits, errors: result.errors.length });
    return result;
  });

  route(app, assembleWorks, access, async () => works.assembleWorks(deps.db, deps.forms));
}
