import { describeTags } from './test-support/suites/tags.js';
import { memoryStorage } from './test-support/test-storage.js';

// The tags suite on memory here; on the filesystem and S3 in http-suite.fs.test.ts and
// http-suite.s3.docker.test.ts.
describeTags(memoryStorage());
