import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSilentLogger } from '@glci/config';
import { createRegistry, FsDriver } from '@glci/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliSandbox, createCliSandbox, stackLines } from '../../test-support/run-glci.js';

const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

describe('glci registry list | stats | gc', { timeout: 90_000 }, () => {
  let storage: string;
  let sandbox: CliSandbox;
  let tagged: string;
  let untagged: string;
  const orphan = 'an orphan blob nobody references';

  beforeAll(async () => {
    storage = mkdtempSync(path.join(os.tmpdir(), 'glci-maint-'));
    sandbox = createCliSandbox();
    // Fill the storage through the real registry, then stop it: the commands work on the directory.
    const registry = createRegistry({
      logger: createSilentLogger(),
      storage: new FsDriver({ root: storage }),
    });
    await using running = await registry.listen({ port: 0 });
    const push = async (name: string, content: string) => {
      const response = await fetch(`${running.url}/v2/${name}/blobs/uploads/?digest=${sha256(content)}`, {
        method: 'POST',
        body: content,
      });
      expect(response.status).toBe(201);
      return {
        mediaType: 'application/octet-stream',
        digest: sha256(content),
        size: Buffer.byteLength(content),
      };
    };
    const manifest = async (name: string, layer: string) => {
      const config = await push(name, '{"architecture":"amd64","os":"linux"}');
      const body = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { ...config, mediaType: 'application/vnd.oci.image.config.v1+json' },
        layers: [{ ...(await push(name, layer)), mediaType: 'application/vnd.oci.image.layer.v1.tar' }],
      });
      return body;
    };
    tagged = await manifest('team/app', 'layer one');
    await fetch(`${running.url}/v2/team/app/manifests/v1`, {
      method: 'PUT',
      headers: { 'Content-Type': OCI_MANIFEST },
      body: tagged,
    });
    await fetch(`${running.url}/v2/team/app/manifests/latest`, {
      method: 'PUT',
      headers: { 'Content-Type': OCI_MANIFEST },
      body: tagged,
    });
    untagged = await manifest('team/app', 'layer only the untagged manifest has');
    await fetch(`${running.url}/v2/team/app/manifests/${sha256(untagged)}`, {
      method: 'PUT',
      headers: { 'Content-Type': OCI_MANIFEST },
      body: untagged,
    });
    await push('other', orphan);
  });
  afterAll(() => {
    rmSync(storage, { recursive: true, force: true });
    sandbox.remove();
  });

  it('list --json names every repository, tag and digest', async () => {
    const result = await sandbox.run(['registry', 'list', '--storage', storage, '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([
      { name: 'other', tags: [], untaggedManifests: 0 },
      {
        name: 'team/app',
        tags: [
          { tag: 'latest', digest: sha256(tagged) },
          { tag: 'v1', digest: sha256(tagged) },
        ],
        untaggedManifests: 1,
      },
    ]);
  });

  it('list prints a table', async () => {
    const result = await sandbox.run(['registry', 'list', '--storage', storage]);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toMatch(/^REPOSITORY +TAG +DIGEST$/);
    expect(result.stdout).toMatch(new RegExp(`team/app +v1 +${sha256(tagged)}`));
    expect(result.stdout).toMatch(/team\/app +<none> +1 untagged manifest/);
  });

  it('stats --json counts what is stored', async () => {
    const result = await sandbox.run(['registry', 'stats', '--storage', storage, '--json']);
    expect(result.code).toBe(0);
    const stats = JSON.parse(result.stdout) as Record<string, unknown>;
    // blobs: config (shared), two layers, the orphan, and the two manifests.
    expect(stats).toMatchObject({ storage, repositories: 2, tags: 2, manifests: 2, blobs: 6 });
    expect(stats.bytes).toBeGreaterThan(Buffer.byteLength(tagged) + Buffer.byteLength(untagged));
  });

  it('gc --dry-run reports and changes nothing; gc --delete-untagged then deletes', async () => {
    const dry = await sandbox.run([
      'registry',
      'gc',
      '--storage',
      storage,
      '--dry-run',
      '--delete-untagged',
      '--grace-period',
      '0s',
      '--json',
    ]);
    expect(dry.code).toBe(0);
    const dryReport = JSON.parse(dry.stdout) as {
      dryRun: boolean;
      blobsDeleted: number;
      manifestsDeleted: unknown[];
    };
    expect(dryReport.dryRun).toBe(true);
    expect(dryReport.manifestsDeleted).toEqual([{ repository: 'team/app', digest: sha256(untagged) }]);
    expect(dryReport.blobsDeleted).toBeGreaterThanOrEqual(2); // the orphan, the untagged manifest's layer (and itself)
    const unchanged = JSON.parse(
      (await sandbox.run(['registry', 'stats', '--storage', storage, '--json'])).stdout,
    );
    expect(unchanged.blobs).toBe(6);

    const real = await sandbox.run([
      'registry',
      'gc',
      '--storage',
      storage,
      '--delete-untagged',
      '--grace-period',
      '0s',
    ]);
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(/^garbage collection done\n/);
    expect(real.stdout).toContain(`deleted team/app@${sha256(untagged)}`);
    const after = JSON.parse(
      (await sandbox.run(['registry', 'stats', '--storage', storage, '--json'])).stdout,
    );
    expect(after).toMatchObject({ tags: 2, manifests: 1, blobs: 3 });
  });

  it('a bad --grace-period is a usage error (exit 2, no stack)', async () => {
    const result = await sandbox.run(['registry', 'gc', '--storage', storage, '--grace-period', 'soon']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--grace-period/);
    expect(stackLines(result.stderr)).toEqual([]);
  });
});
