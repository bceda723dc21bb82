/**
 * The service's log: pino, JSON lines on stdout. Entries name batches, pages (SHA-256 and page number) and
 * jobs, never a field's value: recognised text can be a participant's name.
 */
import { pino } from 'pino';

export const log = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  base: { pid: process.pid },
  // A value or a body that slipped into a log call is cut out rather than written.
  redact: { paths: ['value', 'values', 'fields', 'body', 'manifest', '*.value', '*.fields'], remove: true },
});
