import { describeUploads } from './test-support/suites/uploads.js';
import { memoryStorage } from './test-support/test-storage.js';

// The uploads suite on memory here; on the filesystem and S3 in http-suite.fs.test.ts and
// http-suite.s3.docker.test.ts.
describeUploads(memoryStorage());
