/**
 * Expert checking over HTTP, from the contract (contract/checking.ts), by concern in routes/: the expert's
 * checks, chairs' distribution and progress, appeals, and paper (batches of works, protocols).
 */
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../platform/adapters.ts';
import { appealRoutes } from './routes/appeals.ts';
import { chairRoutes } from './routes/chair.ts';
import { expertRoutes } from './routes/expert.ts';
import { paperRoutes } from './routes/paper.ts';

export function checkingRoutes(app: FastifyInstance, deps: ServiceContext): void {
  expertRoutes(app, deps);
  chairRoutes(app, deps);
  appealRoutes(app, deps);
  paperRoutes(app, deps);
}
