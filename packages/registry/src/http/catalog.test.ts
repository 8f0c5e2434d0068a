import { describeCatalog } from './test-support/suites/catalog.js';
import { memoryStorage } from './test-support/test-storage.js';

// The catalog suite on memory here; on the filesystem and S3 in http-suite.fs.test.ts and
// http-suite.s3.docker.test.ts.
describeCatalog(memoryStorage());
