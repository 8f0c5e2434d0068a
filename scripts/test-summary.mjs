// Sums the per-package vitest JSON reports into one closing line: "Tests: N passed, N failed, N skipped".
// No report or no test at all counts as a failure: a suite that ran nothing proves nothing.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

// Arguments: the workspace folders (packages apps tools); each package's report is <package>/.test-report/vitest.json.
const files = process.argv
  .slice(2)
  .flatMap((folder) =>
    readdirSync(folder).map((name) => path.join(folder, name, '.test-report', 'vitest.json')),
  )
  .filter((file) => existsSync(file));
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of files) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + (report.numTodoTests ?? 0);
  if (report.numFailedTestSuites > 0 && report.numFailedTests === 0) failed += report.numFailedTestSuites;
}
console.log(`\n${files.length} package reports`);
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
