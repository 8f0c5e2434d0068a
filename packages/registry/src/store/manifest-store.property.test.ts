import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryDriver } from '../driver/memory-driver.js';
import { ManifestBlobUnknownError, ManifestUnknownError } from '../errors.js';
import { MediaType } from '../media-types.js';
import { garbageCollect } from './gc.js';
import { listDigests } from './links.js';
import type { RegistryNamespace } from './namespace.js';
import { layersPath, revisionsPath } from './paths.js';
import {
  bytes,
  descriptorJson,
  pushBlob,
  readAll,
  sha256,
  TestClock,
  testNamespace,
} from './test-support/fixtures.js';

/**
 * The manifest, tag and blob-link state machine with GC in the loop, model-based (fast-check):
 * random sequences of blob pushes, mounts, manifest PUTs (with and without tags), deletes, untags,
 * clock jumps and GC runs (with and without deleteUntagged). The model says which links,
 * manifests and tags must exist; after every step the registry holds exactly those, every tag
 * resolves, and every blob a manifest references reads back and hashes to its digest: GC never
 * takes what a manifest references, and removes only what the rules let it.
 */
const REPOS = ['prop/a', 'prop/b'] as const;
const BLOBS = 3;
const HOUR = 60 * 60 * 1000;
const GRACE = HOUR;

type Repo = (typeof REPOS)[number];
const blobContent = (index: number) => `blob number ${index}`;
const manifestKey = (config: number, layer: number) => `${config}/${layer}`;

function manifestBytes(config: number, layer: number): Uint8Array {
  const describe = (index: number, mediaType: string) =>
    descriptorJson({ mediaType, digest: sha256(blobContent(index)), size: blobContent(index).length });
  return bytes(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: describe(config, MediaType.ociConfig),
      layers: [describe(layer, 'application/vnd.oci.image.layer.v1.tar')],
    }),
  );
}

interface Model {
  now: number;
  links: Record<Repo, Map<number, number>>; // blob → time linked
  manifests: Record<Repo, Map<string, { time: number; blobs: number[] }>>;
  tags: Record<Repo, Map<string, string>>; // tag → manifest key
}

interface Real {
  clock: TestClock;
  namespace: RegistryNamespace;
}

type Command = fc.AsyncCommand<Model, Real>;

const repository = (real: Real, name: Repo) => real.namespace.repository(name);

class PushBlob implements Command {
  constructor(
    readonly repo: Repo,
    readonly blob: number,
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    await pushBlob(await repository(real, this.repo), blobContent(this.blob));
    model.links[this.repo].set(this.blob, model.now);
  }
  toString = () => `PushBlob(${this.repo}, ${this.blob})`;
}

class Mount implements Command {
  constructor(
    readonly from: Repo,
    readonly to: Repo,
    readonly blob: number,
  ) {}
  check = () => this.from !== this.to;
  async run(model: Model, real: Real) {
    const result = await (await repository(real, this.to)).blobs.createUpload({
      mount: { digest: sha256(blobContent(this.blob)), from: this.from },
    });
    expect(result.mounted === true).toBe(model.links[this.from].has(this.blob));
    if (result.mounted) model.links[this.to].set(this.blob, model.now);
    else await result.cancel();
  }
  toString = () => `Mount(${this.from} → ${this.to}, ${this.blob})`;
}

class PutManifest implements Command {
  constructor(
    readonly repo: Repo,
    readonly config: number,
    readonly layer: number,
    readonly tag: string | undefined,
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const links = model.links[this.repo];
    const put = (await repository(real, this.repo)).manifests.put(
      manifestBytes(this.config, this.layer),
      MediaType.ociManifest,
      this.tag ? { tags: [this.tag] } : {},
    );
    if (!links.has(this.config) || !links.has(this.layer)) {
      await expect(put).rejects.toBeInstanceOf(ManifestBlobUnknownError);
      return;
    }
    await put;
    const key = manifestKey(this.config, this.layer);
    model.manifests[this.repo].set(key, { time: model.now, blobs: [this.config, this.layer] });
    if (this.tag) model.tags[this.repo].set(this.tag, key);
  }
  toString = () => `PutManifest(${this.repo}, ${this.config}/${this.layer}, ${this.tag ?? '-'})`;
}

class DeleteManifest implements Command {
  constructor(
    readonly repo: Repo,
    readonly config: number,
    readonly layer: number,
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const key = manifestKey(this.config, this.layer);
    const deletion = (await repository(real, this.repo)).manifests.delete(
      sha256(manifestBytes(this.config, this.layer)),
    );
    if (!model.manifests[this.repo].has(key)) {
      await expect(deletion).rejects.toBeInstanceOf(ManifestUnknownError);
      return;
    }
    await deletion;
    model.manifests[this.repo].delete(key);
    for (const [tag, target] of model.tags[this.repo]) if (target === key) model.tags[this.repo].delete(tag);
  }
  toString = () => `DeleteManifest(${this.repo}, ${this.config}/${this.layer})`;
}

class Untag implements Command {
  constructor(
    readonly repo: Repo,
    readonly tag: string,
  ) {}
  check = (model: Model) => model.tags[this.repo].has(this.tag);
  async run(model: Model, real: Real) {
    await (await repository(real, this.repo)).tags.untag(this.tag);
    model.tags[this.repo].delete(this.tag);
  }
  toString = () => `Untag(${this.repo}, ${this.tag})`;
}

class Advance implements Command {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(model: Model, real: Real) {
    real.clock.advance(this.ms);
    model.now += this.ms;
  }
  toString = () => `Advance(${Math.round(this.ms / 60_000)} min)`;
}

class Collect implements Command {
  constructor(readonly deleteUntagged: boolean) {}
  check = () => true;
  async run(model: Model, real: Real) {
    await garbageCollect(real.namespace, { deleteUntagged: this.deleteUntagged, gracePeriodMs: GRACE });
    const cutoff = model.now - GRACE;
    for (const repo of REPOS) {
      const tagged = new Set(model.tags[repo].values());
      if (this.deleteUntagged) {
        for (const [key, manifest] of model.manifests[repo]) {
          if (!tagged.has(key) && manifest.time < cutoff) model.manifests[repo].delete(key);
        }
      }
      const referenced = new Set([...model.manifests[repo].values()].flatMap((manifest) => manifest.blobs));
      for (const [blob, time] of model.links[repo]) {
        if (!referenced.has(blob) && time < cutoff) model.links[repo].delete(blob);
      }
    }
  }
  toString = () => `Collect(${this.deleteUntagged ? 'deleteUntagged' : ''})`;
}

/** A command followed by the full check against the model: the invariants hold after every step. */
class Checked implements Command {
  constructor(readonly inner: Command) {}
  check = (model: Readonly<Model>) => this.inner.check(model);
  async run(model: Model, real: Real) {
    await this.inner.run(model, real);
    await checkAgainstModel(model, real);
  }
  toString = () => this.inner.toString();
}

const repo = fc.constantFrom(...REPOS);
const blob = fc.integer({ min: 0, max: BLOBS - 1 });
// Pushes and PUTs appear twice: a sequence reaches states worth collecting more often.
const push = fc.tuple(repo, blob).map(([r, b]) => new PushBlob(r, b));
const putManifest = fc
  .tuple(repo, blob, blob, fc.option(fc.constantFrom('latest', 'v1', 'v2'), { nil: undefined }))
  .map(([r, c, l, t]) => new PutManifest(r, c, l, t));
const steps = [
  push,
  push,
  putManifest,
  fc.tuple(repo, repo, blob).map(([from, to, b]) => new Mount(from, to, b)),
  putManifest,
  fc.tuple(repo, blob, blob).map(([r, c, l]) => new DeleteManifest(r, c, l)),
  fc.tuple(repo, fc.constantFrom('latest', 'v1', 'v2')).map(([r, t]) => new Untag(r, t)),
  fc.constantFrom(10 * 60_000, 70 * 60_000).map((ms) => new Advance(ms)),
  fc.boolean().map((deleteUntagged) => new Collect(deleteUntagged)),
];
const commands = steps.map((step) => step.map((command) => new Checked(command)));

/** The registry holds what the model says, and every reference of every manifest reads back. */
async function checkAgainstModel(model: Model, real: Real): Promise<void> {
  const { driver } = real.namespace;
  for (const name of REPOS) {
    const repo = await repository(real, name);
    const links = (await listDigests(driver, layersPath(name))).map(String).sort();
    expect(links).toEqual([...model.links[name].keys()].map((b) => String(sha256(blobContent(b)))).sort());
    const revisions = (await listDigests(driver, revisionsPath(name))).map(String).sort();
    const expected = [...model.manifests[name].keys()].map((key) => {
      const [config, layer] = key.split('/').map(Number) as [number, number];
      return String(sha256(manifestBytes(config, layer)));
    });
    expect(revisions).toEqual(expected.sort());
    expect((await repo.tags.list()).tags).toEqual([...model.tags[name].keys()].sort());
    for (const [tag, key] of model.tags[name]) {
      const [config, layer] = key.split('/').map(Number) as [number, number];
      expect(String((await repo.tags.resolve(tag)).digest)).toBe(
        String(sha256(manifestBytes(config, layer))),
      );
    }
    for (const manifest of model.manifests[name].values()) {
      for (const index of manifest.blobs) {
        const content = await readAll(await repo.blobs.open(sha256(blobContent(index))));
        expect(content.toString()).toBe(blobContent(index));
      }
    }
  }
}

describe('manifest, tag and link state machine with GC', () => {
  it('holds the model after every step of random command sequences', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 50, size: 'large' }), async (sequence) => {
        const clock = new TestClock();
        const namespace = testNamespace({
          driver: new MemoryDriver({ clock: clock.read }),
          clock: clock.read,
        });
        const model: Model = {
          now: clock.now.getTime(),
          links: { 'prop/a': new Map(), 'prop/b': new Map() },
          manifests: { 'prop/a': new Map(), 'prop/b': new Map() },
          tags: { 'prop/a': new Map(), 'prop/b': new Map() },
        };
        const real: Real = { clock, namespace };
        await fc.asyncModelRun(() => ({ model, real }), sequence);
      }),
      { numRuns: 150 },
    );
  });
});
