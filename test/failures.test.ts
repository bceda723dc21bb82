/**
 * platform/failures.ts: which failures are the infrastructure's (waited out) and which the content's
 * (a rejected page, a quarantined batch); the adapters throw the first kind as InfrastructureError.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { postgresDatabase } from '../platform/db.ts';
import { InfrastructureError, isInfrastructureFailure } from '../platform/failures.ts';
import { folderObjectStore, ObjectIntegrityError } from '../platform/objects.ts';

const withCode = (code: string, message = code, name = 'Error') =>
  Object.assign(new Error(message), { code, name });

const infrastructure: [string, unknown][] = [
  ['connection refused', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9000')],
  ['connection reset', withCode('ECONNRESET', 'socket hang up')],
  ['timeout', withCode('ETIMEDOUT')],
  ['name not resolved now', withCode('EAI_AGAIN')],
  ['S3 SlowDown (a 503)', withCode('SlowDown', 'Please reduce your request rate.', 'S3Error')],
  ['S3 InternalError', withCode('InternalError', 'We encountered an internal error', 'S3Error')],
  ['S3 ServiceUnavailable', withCode('ServiceUnavailable', 'unavailable', 'S3Error')],
  ['a proxy’s 502 before S3', withCode('', '', 'S3Error')],
  ['PostgreSQL connection failure', withCode('08006', 'connection failure')],
  ['PostgreSQL shutting down', withCode('57P01', 'terminating connection due to administrator command')],
  ['PostgreSQL starting up', withCode('57P03', 'the database system is starting up')],
  ['PostgreSQL too many connections', withCode('53300', 'sorry, too many clients already')],
  ['PostgreSQL deadlock', withCode('40P01', 'deadlock detected')],
  ['pg connection lost', new Error('Connection terminated unexpectedly')],
  ['Redis connection closed', new Error('Connection is closed.')],
  ['Redis loading', new Error('LOADING Redis is loading the dataset in memory')],
  ['a wrapped cause', new Error('put failed', { cause: withCode('ECONNRESET') })],
  ['already classified', new InfrastructureError('queue', new Error('gone'))],
];

const content: [string, unknown][] = [
  ['S3 no such key', withCode('NoSuchKey', 'The specified key does not exist.', 'S3Error')],
  ['S3 access denied', withCode('AccessDenied', 'denied', 'S3Error')],
  ['a body that does not hash to its name', new ObjectIntegrityError('k', 'a'.repeat(64))],
  ['PostgreSQL bad text (a NUL)', withCode('22021', 'invalid byte sequence for encoding "UTF8": 0x00')],
  ['PostgreSQL unique violation', withCode('23505', 'duplicate key value')],
  ['PostgreSQL SQLSTATE-like code only by prefix', withCode('08', 'not a SQLSTATE')],
  ['a missing file', withCode('ENOENT')],
  ['a plain error', new Error('invalid batch manifest')],
  ['not an error', 'ECONNREFUSED'],
];

describe('failure classification', () => {
  it.each(infrastructure)('%s is the infrastructure’s', (_what, err) => {
    expect(isInfrastructureFailure(err)).toBe(true);
  });
  it.each(content)('%s is not', (_what, err) => {
    expect(isInfrastructureFailure(err)).toBe(false);
  });

  it('comes from the adapters as InfrastructureError naming the service, with the driver’s reason', async () => {
    // A port nobody listens on: the real driver's refusal.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const db = postgresDatabase(`postgres://nobody@127.0.0.1:${port}/none`);
    const refused = await db.query('select 1').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(InfrastructureError);
    expect(refused).toMatchObject({ service: 'database', message: /^database unavailable: .*ECONNREFUSED/ });
    const inTransaction = await db.transaction(async () => 1).catch((err: unknown) => err);
    expect(inTransaction).toBeInstanceOf(InfrastructureError);
    await db.close();

    // What the content did stays as it was: a missing object is not an outage.
    const dir = mkdtempSync(join(tmpdir(), 'rcoi-failures-'));
    try {
      const missing = await folderObjectStore(dir)
        .get('2026/scan-file/ab/none')
        .catch((err: unknown) => err);
      expect(missing).not.toBeInstanceOf(InfrastructureError);
      expect(missing).toMatchObject({ code: 'ENOENT' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
