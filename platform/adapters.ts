/**
 * The bundles every room works through, one name each: `Adapters` (the database and the object store: what
 * a store or a stage needs) and `ServiceContext` (the adapters with the queues and the rules the routes
 * decide by: what the HTTP API and the stages are handed).
 */
import type { RulesOf } from '../domain/checking.ts';
import type { FormDefinition } from '../forms/schema.ts';
import type { Database } from './db.ts';
import type { ObjectStore } from './objects.ts';
import type { StageQueues } from './queues.ts';

export interface Adapters {
  db: Database;
  objects: ObjectStore;
}

export interface ServiceContext extends Adapters {
  forms: FormDefinition[];
  rulesOf: RulesOf;
  queues: StageQueues;
  /** The verifier station's dwell: a key acts on a field only once it has been on screen this long (ms). */
  verifyDwellMs: number;
  /** Ms per field a verification group stays on screen before a key decides it (config RCOI_GROUP_DWELL_MS). */
  groupDwellMs?: number;
}
