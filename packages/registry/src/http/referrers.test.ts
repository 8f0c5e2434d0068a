import { describeReferrers } from './test-support/suites/referrers.js';
import { memoryStorage } from './test-support/test-storage.js';

// The referrers suite on memory here; on the filesystem and S3 in http-suite.fs.test.ts and
// http-suite.s3.docker.test.ts.
describeReferrers(memoryStorage());
