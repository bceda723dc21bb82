/**
 * The benches' private services: PostgreSQL, Redis and the S3 server started by scripts/services.sh in a
 * folder of their own, as the tests start them, and the service's settings that point at them.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Starts the services in `dir` with scripts/services.sh's own settings (`SERVICES_*`), and answers the
 * environment a service or worker process needs for them, with `settings` over it.
 */
export function startServices(
  dir: string,
  services: Record<string, string>,
  settings: Record<string, string>,
): NodeJS.ProcessEnv {
  execFileSync('bash', ['scripts/services.sh', 'start', dir], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, ...services },
  });
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(dir, 'env'), 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!;
  }
  return {
    ...process.env,
    DATABASE_URL: env.TEST_DATABASE_URL,
    REDIS_URL: env.TEST_REDIS_URL,
    S3_ENDPOINT: env.TEST_S3_ENDPOINT,
    S3_PORT: env.TEST_S3_PORT,
    S3_USE_SSL: 'false',
    S3_ACCESS_KEY: env.TEST_S3_ACCESS_KEY,
    S3_SECRET_KEY: env.TEST_S3_SECRET_KEY,
    S3_REGION: env.TEST_S3_REGION,
    ...settings,
  };
}

/** Stops whatever `dir`'s services left running (never fails). */
export function stopServices(dir: string): void {
  execFileSync('bash', ['scripts/services.sh', 'stop', dir], { stdio: 'ignore' });
}
