import { describeHttpApi } from './test-support/http-suite.js';
import { useS3Storage } from './test-support/s3-test-storage.js';

// The registry's HTTP suites, unchanged, on S3Driver against a real S3 server (versitygw on
// loopback, one bucket, a prefix per registry). Fails, never skips, when the server is missing.
describeHttpApi(useS3Storage());
