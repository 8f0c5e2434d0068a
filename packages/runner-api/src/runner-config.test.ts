import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { renderRunnerConfig } from './runner-config.js';

type Table = Record<string, unknown>;

function parsed(text: string) {
  const config = parse(text) as Table;
  const runners = config.runners as Table[];
  expect(runners).toHaveLength(1);
  const runner = runners[0]!;
  const cache = runner.cache as Table | undefined;
  return {
    config,
    runner,
    docker: runner.docker as Table,
    flags: runner.feature_flags as Table,
    cache,
    s3: cache?.s3 as Table | undefined,
  };
}

describe('renderRunnerConfig', () => {
  const token = 'glrt-1_abcdefghijklmnopqrstuvwxyz012345';

  it('writes every key the protocol doc says matters (§4, §5)', () => {
    const { config, runner, docker, flags, cache, s3 } = parsed(
      renderRunnerConfig({ url: 'http://host.docker.internal:39741', token }),
    );
    expect(config.concurrent).toBe(4);
    expect(config.check_interval).toBe(3);
    expect(config.log_level).toBe('info');
    expect(runner.name).toBe('glci-mock');
    expect(runner.url).toBe('http://host.docker.internal:39741');
    expect(runner.clone_url).toBe('http://host.docker.internal:39741');
    expect(runner.token).toBe(token);
    expect(runner.executor).toBe('docker');
    expect(runner.limit).toBe(0);
    expect(runner.request_concurrency).toBe(1);
    expect(runner.output_limit).toBe(4096);
    expect(flags).toEqual({ FF_NETWORK_PER_BUILD: true });
    expect(docker.extra_hosts).toEqual(['host.docker.internal:host-gateway']);
    expect(docker.image).toBe('alpine:3.20');
    expect(docker.privileged).toBe(false);
    expect(docker.pull_policy).toEqual(['if-not-present']);
    expect(docker.volumes).toEqual(['/cache']);
    expect(docker).not.toHaveProperty('network_mode');
    expect(cache).toMatchObject({ Type: 's3', Shared: true });
    expect(s3).toEqual({
      ServerAddress: 'host.docker.internal:39741',
      AccessKey: 'glci',
      SecretKey: 'glci-mock-cache',
      BucketName: 'runner-cache',
      BucketLocation: 'us-east-1',
      Insecure: true,
    });
  });

  it('takes every option', () => {
    const { config, runner, docker, flags, cache, s3 } = parsed(
      renderRunnerConfig({
        url: 'http://glci-mock:39741/',
        cloneUrl: 'http://glci-mock:39741',
        token,
        name: 'tier-1',
        concurrent: 2,
        checkInterval: 1,
        logLevel: 'debug',
        limit: 3,
        outputLimitKib: 8192,
        featureFlags: { FF_USE_FASTZIP: true, FF_NETWORK_PER_BUILD: true },
        environment: ['A=1', 'B=two words'],
        docker: {
          image: 'glci-test/busybox:1',
          privileged: true,
          extraHosts: ['glci-mock:172.17.0.1', 'host.docker.internal:host-gateway'],
          helperImage: 'glci-helper:local',
          pullPolicy: ['never'],
          volumes: ['/cache', '/certs/client'],
        },
        cache: { bucketName: 'other-bucket', bucketLocation: 'eu-west-1', shared: false, path: 'glci' },
      }),
    );
    expect(config).toMatchObject({ concurrent: 2, check_interval: 1, log_level: 'debug' });
    expect(runner).toMatchObject({
      name: 'tier-1',
      url: 'http://glci-mock:39741/',
      clone_url: 'http://glci-mock:39741',
      limit: 3,
      output_limit: 8192,
      environment: ['A=1', 'B=two words'],
    });
    expect(flags).toEqual({ FF_NETWORK_PER_BUILD: true, FF_USE_FASTZIP: true });
    expect(docker).toMatchObject({
      image: 'glci-test/busybox:1',
      privileged: true,
      extra_hosts: ['glci-mock:172.17.0.1', 'host.docker.internal:host-gateway'],
      helper_image: 'glci-helper:local',
      pull_policy: ['never'],
      volumes: ['/cache', '/certs/client'],
    });
    expect(cache).toMatchObject({ Type: 's3', Shared: false, Path: 'glci' });
    expect(s3).toMatchObject({
      ServerAddress: 'glci-mock:39741',
      BucketName: 'other-bucket',
      BucketLocation: 'eu-west-1',
    });
  });

  it('leaves the cache out when asked, and allows network_mode only without FF_NETWORK_PER_BUILD', () => {
    const { runner, docker, flags } = parsed(
      renderRunnerConfig({
        url: 'http://127.0.0.1:1',
        token,
        cache: false,
        featureFlags: { FF_NETWORK_PER_BUILD: false },
        docker: { networkMode: 'glci-net-1' },
      }),
    );
    expect(runner).not.toHaveProperty('cache');
    expect(flags.FF_NETWORK_PER_BUILD).toBe(false);
    expect(docker.network_mode).toBe('glci-net-1');
    expect(() => renderRunnerConfig({ url: 'http://x', token, docker: { networkMode: 'bridge' } })).toThrow(
      /FF_NETWORK_PER_BUILD/,
    );
  });

  it('escapes strings so that any value parses back unchanged', () => {
    const tricky = 'a "quoted" \\ back\nslash\ttab \u0001 \u007f ünï ✓';
    const { runner } = parsed(renderRunnerConfig({ url: 'http://x:1', token: tricky, name: tricky }));
    expect(runner.token).toBe(tricky);
    expect(runner.name).toBe(tricky);
  });

  it('refuses values the runner would reject', () => {
    expect(() => renderRunnerConfig({ url: 'ftp://x', token })).toThrow(/http/);
    expect(() => renderRunnerConfig({ url: 'http://x', token: '' })).toThrow(/token/);
    expect(() => renderRunnerConfig({ url: 'http://x', token, concurrent: 0 })).toThrow(/concurrent/);
    expect(() => renderRunnerConfig({ url: 'http://x', token, featureFlags: { 'bad key': true } })).toThrow(
      /feature flag/,
    );
    expect(() => renderRunnerConfig({ url: 'http://x', token, checkInterval: 1.5 })).toThrow(/checkInterval/);
  });
});
