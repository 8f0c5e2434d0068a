import { describe, expect, it } from 'vitest';
import { MemoryDriver } from '../driver/memory-driver.js';
import { pushBlob, sha256, startTestRegistry } from './test-support/fixture.js';
import { describeBlobs } from './test-support/suites/blobs.js';
import { memoryStorage } from './test-support/test-storage.js';

// The blob suite on memory here; on the filesystem and S3 in http-suite.fs.test.ts and
// http-suite.s3.docker.test.ts.
describeBlobs(memoryStorage());

// Memory only: the driver is a MemoryDriver subclass that offers a fake redirect URL, so this
// tests the handler's choice (redirect or stream), not any real driver's URLs.
describe('blobs with a redirecting driver', () => {
  it('redirects to the driver URL when redirects are on and the driver offers one; streams otherwise', async () => {
    class RedirectingDriver extends MemoryDriver {
      async redirectUrl(path: string, options: { method: 'GET' | 'HEAD'; expiresInSeconds: number }) {
        return `http://storage.invalid${path}?method=${options.method}&expires=${options.expiresInSeconds}`;
      }
    }
    const driver = new RedirectingDriver();
    await using redirecting = await startTestRegistry({
      driver,
      redirect: true,
      redirectExpiresInSeconds: 600,
    });
    const redirectDigest = await pushBlob(redirecting, 'team/r', 'redirect me');
    const response = await redirecting.fetch(`/v2/team/r/blobs/${redirectDigest}`);
    expect(response.status).toBe(307);
    expect(response.headers.get('docker-content-digest')).toBe(redirectDigest);
    expect(response.headers.get('location')).toMatch(
      new RegExp(`^http://storage\\.invalid/.*${redirectDigest.slice(7)}.*method=GET`),
    );
    // Unknown blobs are still 404, never a redirect.
    expect((await redirecting.fetch(`/v2/team/r/blobs/${sha256('absent')}`)).status).toBe(404);

    await using streaming = await startTestRegistry({ driver, redirect: false });
    const streamed = await streaming.fetch(`/v2/team/r/blobs/${redirectDigest}`);
    expect(streamed.status).toBe(200);
    expect(await streamed.text()).toBe('redirect me');
  });
});
