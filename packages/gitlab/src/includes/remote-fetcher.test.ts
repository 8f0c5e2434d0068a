import { createSilentLogger } from '@glci/config';
import { type RunningStandin, startGitlabStandin } from '@glci/gitlab-standin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteIncludeError } from '../errors.js';
import { maskUrl, RemoteFileFetcher } from './remote-fetcher.js';

// include:remote is served by a real HTTPS server on loopback (the stand-in's remote server, with
// its test CA); a second one speaks plain HTTP.
let standin: RunningStandin;
let plain: RunningStandin;
beforeAll(async () => {
  [standin, plain] = await Promise.all([startGitlabStandin(), startGitlabStandin({ remoteOverHttp: true })]);
});
afterAll(async () => {
  await standin?.close();
  await plain?.close();
});

const fetcher = (options: { maxBytes?: number; caFile?: string | null } = {}) =>
  new RemoteFileFetcher({
    timeoutMs: 5_000,
    maxBytes: options.maxBytes ?? 1024 * 1024,
    caFile: options.caFile === null ? undefined : (options.caFile ?? standin.caFile),
    logger: createSilentLogger(),
  });

async function failure(promise: Promise<unknown>): Promise<RemoteIncludeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RemoteIncludeError);
  return error as RemoteIncludeError;
}

describe('RemoteFileFetcher', () => {
  it('fetches a file over HTTPS, and over HTTP as GitLab allows', async () => {
    const https = await fetcher().fetch(`${standin.remote.url}/ci/notify.yml`);
    expect(https.content).toContain('notify-success:');
    const http = await fetcher().fetch(`${plain.remote.url}/ci/notify.yml`);
    expect(http.content).toBe(https.content);
  });

  it("gives GitLab's message for an error status", async () => {
    const url = `${standin.remote.url}/ci/missing.yml`;
    const error = await failure(fetcher().fetch(url));
    expect(error.message).toBe(
      `Remote file \`${url}\` could not be fetched because of HTTP code \`404\` error!`,
    );
    expect(error.transient).toBe(false);
  });

  it('follows a redirect, but not from HTTPS down to HTTP nor to another scheme', async () => {
    standin.remote.route('/moved.yml', { status: 301, headers: { location: '/ci/notify.yml' } });
    expect((await fetcher().fetch(`${standin.remote.url}/moved.yml`)).finalUrl).toBe(
      `${standin.remote.url}/ci/notify.yml`,
    );
    standin.remote.route('/downgrade.yml', {
      status: 302,
      headers: { location: `${plain.remote.url}/ci/notify.yml` },
    });
    expect((await failure(fetcher().fetch(`${standin.remote.url}/downgrade.yml`))).message).toMatch(
      /could not be fetched: a redirect from HTTPS down to http:\/\/127\.0\.0\.1:\d+\/ci\/notify\.yml is not followed/,
    );
    standin.remote.route('/file.yml', { status: 302, headers: { location: 'file:///etc/passwd' } });
    expect((await failure(fetcher().fetch(`${standin.remote.url}/file.yml`))).message).toMatch(
      /could not be fetched/,
    );
  });

  it('gives up after a few redirects', async () => {
    standin.remote.route('/loop.yml', { status: 302, headers: { location: '/loop.yml' } });
    expect((await failure(fetcher().fetch(`${standin.remote.url}/loop.yml`))).message).toMatch(
      /redirects too many times/,
    );
  });

  it('refuses a file above the size limit, announced or not', async () => {
    standin.remote.route('/big.yml', { status: 200, body: `# ${'x'.repeat(4096)}\n` });
    const error = await failure(fetcher({ maxBytes: 1024 }).fetch(`${standin.remote.url}/big.yml`));
    expect(error.message).toBe(
      `Remote file \`${standin.remote.url}/big.yml\` is larger than 1024 bytes: raise [gitlab] remote_max_size if the file is meant to be this large`,
    );
    standin.remote.route('/chunked.yml', {
      status: 200,
      headers: { 'transfer-encoding': 'chunked' },
      body: 'y'.repeat(5000),
    });
    await failure(fetcher({ maxBytes: 1024 }).fetch(`${standin.remote.url}/chunked.yml`));
  });

  it('refuses addresses GitLab would refuse', async () => {
    expect((await failure(fetcher().fetch('ftp://example.test/a.yml'))).message).toBe(
      'Remote file `ftp://example.test/a.yml` does not have a valid address!: use an http:// or https:// URL',
    );
    expect((await failure(fetcher().fetch('not a url'))).message).toBe(
      'Remote file `not a url` does not have a valid address!',
    );
  });

  it('says a host it cannot reach could not be reached, and marks that as transient', async () => {
    const error = await failure(fetcher().fetch('https://127.0.0.1:1/x.yml'));
    expect(error.message).toMatch(/could not be fetched because of a socket error! \(ECONNREFUSED\)/);
    expect(error.transient).toBe(true);
  });

  it('refuses an untrusted certificate and says where to add its CA', async () => {
    const error = await failure(fetcher({ caFile: null }).fetch(`${standin.remote.url}/ci/notify.yml`));
    expect(error.message).toContain('add its CA to [gitlab] ca_file');
  });

  it('masks credentials written into a URL', () => {
    expect(maskUrl('https://user:secret@host.test/a.yml')).toBe('https://*****:*****@host.test/a.yml');
    expect(maskUrl('https://host.test/a.yml')).toBe('https://host.test/a.yml');
  });
});
