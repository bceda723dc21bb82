import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const FIXTURE = 'test/fixtures/vitest-unloadable-file.json';

function summary(path: string) {
  const r = spawnSync(process.execPath, ['scripts/test-summary.js', path], { encoding: 'utf8' });
  return { line: r.stdout.trim(), stderr: r.stderr, status: r.status };
}

describe('scripts/test-summary.js', () => {
  it('counts a test file that failed to load as a failure (vitest counts none of its tests)', () => {
    // The fixture is vitest's own report: one file imports a missing module, the other has 1 pass, 1 fail.
    const r = summary(FIXTURE);
    expect(r.line).toBe('1 passed, 2 failed');
    expect(r.stderr).toContain("Cannot find module '../nope.ts'");
    expect(r.status).toBe(1);
  });

  it('passes a report whose files and tests all passed', () => {
    const report = JSON.parse(readFileSync(FIXTURE, 'utf8'));
    report.testResults = report.testResults.slice(1).map((file: { assertionResults: object[] }) => ({
      ...file,
      status: 'passed',
      assertionResults: file.assertionResults.slice(0, 1),
    }));
    Object.assign(report, { numFailedTests: 0, numTotalTests: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'rcoi-summary-'));
    try {
      writeFileSync(join(dir, 'vitest.json'), JSON.stringify(report));
      expect(summary(join(dir, 'vitest.json'))).toMatchObject({ line: '1 passed, 0 failed', status: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails with the closing line when there is no report', () => {
    const r = summary(join(tmpdir(), 'rcoi-no-such-report.json'));
    expect(r.line).toBe('0 passed, 1 failed');
    expect(r.status).toBe(1);
  });
});
