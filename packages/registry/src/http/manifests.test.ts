import { describeManifests } from './test-support/suites/manifests.js';
import { memoryStorage } from './test-support/test-storage.js';

// The manifests suite on memory here; on the filesystem and S3 in http-suite.fs.test.ts and
// http-suite.s3.docker.test.ts.
describeManifests(memoryStorage());
