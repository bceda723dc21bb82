/**
 * `rcoi serve [--demo]`: the service. On the embedded default (no DATABASE_URL, REDIS_URL, S3_*) it needs
 * nothing else running. --demo seeds a demo exam, users and the bundled sample batch, waits until the batch
 * is recognised and prints what a newcomer needs: the batch's counts, the verification queue, the tokens.
 */
import { parseArgs } from 'node:util';
import { configFromEnv } from '../platform/config.ts';
import { demoOutcome, seedDemo, startService } from '../service/run.ts';

export async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { demo: { type: 'boolean' } } });
  const config = configFromEnv(process.env);
  const service = await startService(config, { listen: true, logger: !values.demo });
  const url = `http://localhost:${config.port}`;
  const mode = config.databaseUrl ? 'PostgreSQL' : `embedded PGlite in ${config.dataDir}`;
  console.log(`rcoi service on ${url} (${mode}); inbox: ${service.inbox}`);
  if (values.demo) {
    const started = performance.now();
    const tokens = await seedDemo(service);
    const [scan] = await service.scan();
    await service.idle();
    const { report, tasksWaiting } = await demoOutcome(service, scan?.batchId);
    console.log(
      `\nsample batch ${scan?.batchId ?? '(already ingested)'} in ${((performance.now() - started) / 1000).toFixed(1)} s:`,
    );
    if (report) {
      console.log(`  pages by status: ${JSON.stringify(report.pagesByStatus)}`);
      for (const k of report.reconciliation.byKind)
        console.log(
          `  ${k.kind.padEnd(28)} declared ${String(k.declared).padStart(3)}  recognised ${String(k.recognised).padStart(3)}`,
        );
      for (const d of report.reconciliation.discrepancies) console.log(`  ! ${d}`);
    }
    console.log(`  verification tasks waiting: ${tasksWaiting}`);
    console.log('\ndemo users (keys are shown once; only their hashes are stored):');
    for (const [id, token] of Object.entries(tokens)) console.log(`  ${id.padEnd(14)} ${token}`);
    console.log(
      `\nopen ${url}/ and sign in with one of the keys above (the stations follow the user's role), or try:\n  curl -H "Authorization: Bearer ${tokens['demo-operator']}" ${url}/api/batches\n` +
        `  curl -X POST -H "Authorization: Bearer ${tokens['demo-verifier']}" ${url}/api/verification/next\n` +
        'Drop a batch folder (page files + batch.json) into the inbox to have it processed. Ctrl-C stops.',
    );
  }
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await service.stop();
  return 0;
}
