import { describeBadInput } from './test-support/suites/bad-input.js';
import { memoryStorage } from './test-support/test-storage.js';

// The bad-input suite on memory here; on the filesystem and S3 in http-suite.fs.test.ts and
// http-suite.s3.docker.test.ts.
describeBadInput(memoryStorage());
