/**
 * Checking on paper: a chair's batch of works, depersonalised, as one PDF or a ZIP of images; checking
 * protocols for the checks an expert holds (their scans come back through the intake), listed, printed
 * again, voided. Every export is an audit event.
 */
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import * as api from '../../contract/checking.ts';
import { CHAIRS } from '../../platform/access.ts';
import type { ServiceContext } from '../../platform/adapters.ts';
import { route } from '../../platform/http.ts';
import { audit } from '../../platform/store/audit.ts';
import { worksBatch, worksZip } from '../../print/kits.ts';
import { protocolsPdf } from '../../print/protocols.ts';
import { CheckingError } from '../errors.ts';
import { printProtocols } from '../protocols.ts';
import { listProtocols, printedProtocol, voidProtocol } from '../store.ts';

const access = { roles: CHAIRS };

export function paperRoutes(app: FastifyInstance, deps: ServiceContext): void {
  const { db, rulesOf, forms } = deps;

  const worksExport = (
    endpoint: typeof api.worksPdf | typeof api.worksZip,
    action: string,
    type: string,
    make: (workIds: string[]) => Promise<Uint8Array | Readable>,
  ) =>
    route(app, endpoint, access, async ({ body, user }, reply) => {
      const made = await make(body.workIds);
      await audit(db, user.id, action, 'works', { works: body.workIds });
      return reply.type(type).send(made instanceof Uint8Array ? Buffer.from(made) : made);
    });
  worksExport(api.worksPdf, 'export.works-pdf', 'application/pdf', (ids) => worksBatch(deps, forms, ids));
  worksExport(api.worksZip, 'export.works-zip', 'application/zip', (ids) => worksZip(deps, forms, ids));

  route(app, api.printProtocols, access, async ({ body, user }, reply) => {
    const printed = await printProtocols(db, rulesOf, user.id, body.expertId, body.checkIds);
    return reply
      .type('application/pdf')
      .header('x-protocols', printed.map((p) => p.sheetNumber).join(','))
      .send(Buffer.from(await protocolsPdf(forms, printed)));
  });

  route(app, api.protocols, access, async ({ query }) => listProtocols(db, query.status ?? null));

  route(app, api.protocolPdf, access, async ({ params, user }, reply) => {
    const p = await printedProtocol(db, params.sheet);
    if (!p) throw new CheckingError('no-such-protocol', `no protocol ${params.sheet} out with an expert`);
    await audit(db, user.id, 'print.protocols', `protocol:${p.sheetNumber}`, { reprint: true });
    return reply.type('application/pdf').send(Buffer.from(await protocolsPdf(forms, [p])));
  });

  route(app, api.voidProtocol, access, async ({ params, body, user }) => {
    if (!(await voidProtocol(db, user.id, params.sheet, body.reason)))
      throw new CheckingError('conflict', `protocol ${params.sheet} is not printed or rejected`);
    return { sheetNumber: params.sheet, status: 'void' as const };
  });
}
