/**
 * Ctrl-C stops the service even while a client holds a connection open: an upload refused half-way (its
 * body still coming) used to keep `npm start` waiting for the socket's keep-alive timeout, over a minute.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { configFromEnv } from '../platform/config.ts';
import { seedDemo, startService } from '../service/run.ts';

const dir = mkdtempSync(join(tmpdir(), 'rcoi-stop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('stops with a refused upload’s connection still open, closing that connection', async () => {
  const service = await startService(configFromEnv({ RCOI_DATA_DIR: dir, PORT: '0' }), {
    listen: true,
    pollMs: 60_000,
  });
  const tokens = await seedDemo(service);
  const { port } = service.app.server.address() as { port: number };
  const socket = connect(port, '127.0.0.1');
  const answered = new Promise<string>((resolve) => socket.once('data', (d) => resolve(String(d))));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(
    'POST /api/batches HTTP/1.1\r\nHost: x\r\n' +
      `Authorization: Bearer ${tokens['demo-verifier']}\r\n` +
      'Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000000\r\n\r\n--b\r\n',
  );
  // A verifier may not upload: refused before the body, which never finishes arriving.
  expect(await answered).toMatch(/^HTTP\/1.1 403/);
  const outcome = await Promise.race([
    service.stop().then(() => 'stopped'),
    new Promise((resolve) => setTimeout(() => resolve('still waiting'), 15_000)),
  ]);
  expect(outcome).toBe('stopped');
  await closed;
  expect(socket.destroyed).toBe(true);
}, 60_000);
