// Prints vitest's JSON report as the plain closing line CI reads: "N passed, N failed".
// A test file that failed with no failed test in it (it could not load, or a hook threw) counts as one
// failure: vitest's own test counts leave it out.
import { readFileSync } from 'node:fs';

const path = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(path, 'utf8'));
} catch (err) {
  console.log('0 passed, 1 failed');
  console.error(`no test report at ${path}: ${err.message}`);
  process.exit(1);
}
const brokenFiles = (report.testResults ?? []).filter(
  (file) => file.status === 'failed' && !(file.assertionResults ?? []).some((a) => a.status === 'failed'),
);
for (const file of brokenFiles) console.error(`failed without a failed test: ${file.name}: ${file.message}`);
const failed = report.numFailedTests + brokenFiles.length;
console.log(`${report.numPassedTests} passed, ${failed} failed`);
if (failed > 0 || report.numTotalTests === 0) process.exit(1);
