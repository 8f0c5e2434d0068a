import { describeBadInput } from './suites/bad-input.js';
import { describeBlobs } from './suites/blobs.js';
import { describeCatalog } from './suites/catalog.js';
import { describeManifests } from './suites/manifests.js';
import { describeReferrers } from './suites/referrers.js';
import { describeTags } from './suites/tags.js';
import { describeUploads } from './suites/uploads.js';
import type { TestStorage } from './test-storage.js';

/**
 * Every HTTP suite of the registry (blobs, uploads, manifests, tags, catalog, referrers, bad input)
 * on one storage. Memory runs each suite from its own `<resource>.test.ts` beside the handler, in
 * parallel; the filesystem and S3 run them all from one file each (`http-suite.fs.test.ts`,
 * `http-suite.s3.docker.test.ts`), so that S3 starts one server for the lot. The unit tests of
 * pure functions (router, ranges, body, oci-errors) touch no storage and run once.
 */
export function describeHttpApi(storage: TestStorage): void {
  describeBlobs(storage);
  describeUploads(storage);
  describeManifests(storage);
  describeTags(storage);
  describeCatalog(storage);
  describeReferrers(storage);
  describeBadInput(storage);
}
