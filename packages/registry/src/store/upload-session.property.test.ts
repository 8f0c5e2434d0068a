import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FsDriver } from '../driver/fs-driver.js';
import { MemoryDriver } from '../driver/memory-driver.js';
import type { StorageDriver } from '../driver/storage-driver.js';
import { DigestMismatchError, UploadRangeError, UploadSessionBusyError } from '../errors.js';
import type { BlobWriter, Repository } from './contracts.js';
import { type HashingStrategy, nodeHashing, wasmHashing } from './hasher.js';
import type { RegistryNamespace } from './namespace.js';
import { readAll, sha256, testNamespace } from './test-support/fixtures.js';

/**
 * The upload-session state machine, model-based (fast-check): random sequences of chunk writes
 * (at the right offset and at wrong ones), a second request racing a write in progress, status
 * reads, restarts (a new namespace over the same storage: live hashers gone), commits with the
 * right and a wrong digest, and cancels. The model is the bytes the session should hold.
 * After every step the session's size is the model's; every commit publishes exactly the model's
 * bytes under their digest, or is refused and leaves nothing.
 */
interface Model {
  bytes: Buffer;
  /** Digests committed so far, with their bytes. */
  committed: Map<string, Buffer>;
}

interface Real {
  driver: StorageDriver;
  hashing: HashingStrategy;
  namespace: RegistryNamespace;
  repository: Repository;
  id: string;
}

async function newSession(real: Real): Promise<void> {
  const writer = (await real.repository.blobs.createUpload()) as BlobWriter;
  await writer.close();
  real.id = writer.id;
}

type Command = fc.AsyncCommand<Model, Real>;

class Write implements Command {
  constructor(readonly chunk: Buffer) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const writer = await real.repository.blobs.resumeUpload(real.id);
    expect(writer.size).toBe(model.bytes.length);
    await writer.write(this.chunk, { expectedOffset: model.bytes.length });
    await writer.close();
    model.bytes = Buffer.concat([model.bytes, this.chunk]);
  }
  toString = () => `Write(${this.chunk.length})`;
}

class WriteAtWrongOffset implements Command {
  constructor(
    readonly chunk: Buffer,
    readonly shift: number,
  ) {}
  check = (model: Model) => model.bytes.length + this.shift >= 0;
  async run(model: Model, real: Real) {
    const writer = await real.repository.blobs.resumeUpload(real.id);
    await expect(
      writer.write(this.chunk, { expectedOffset: model.bytes.length + this.shift }),
    ).rejects.toBeInstanceOf(UploadRangeError);
    await writer.close();
  }
  toString = () => `WriteAtWrongOffset(${this.chunk.length}, ${this.shift})`;
}

class RacingWrite implements Command {
  constructor(
    readonly first: Buffer,
    readonly second: Buffer,
    readonly rest: Buffer,
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const holder = await real.repository.blobs.resumeUpload(real.id);
    const body = new PassThrough();
    const writing = holder.write(body, { expectedOffset: model.bytes.length });
    body.write(this.first);
    await new Promise((resolve) => setTimeout(resolve, 2));
    const racer = await real.repository.blobs.resumeUpload(real.id);
    await expect(racer.write(this.second, { expectedOffset: racer.size })).rejects.toBeInstanceOf(
      UploadSessionBusyError,
    );
    body.end(this.rest);
    await writing;
    await holder.close();
    model.bytes = Buffer.concat([model.bytes, this.first, this.rest]);
  }
  toString = () => `RacingWrite(${this.first.length}, ${this.second.length}, ${this.rest.length})`;
}

class Status implements Command {
  check = () => true;
  async run(model: Model, real: Real) {
    expect((await real.repository.blobs.resumeUpload(real.id)).size).toBe(model.bytes.length);
  }
  toString = () => 'Status';
}

class Restart implements Command {
  check = () => true;
  async run(_model: Model, real: Real) {
    real.namespace = testNamespace({ driver: real.driver, hashing: real.hashing });
    real.repository = await real.namespace.repository('prop/app');
  }
  toString = () => 'Restart';
}

class Commit implements Command {
  check = () => true;
  async run(model: Model, real: Real) {
    const digest = sha256(model.bytes);
    const descriptor = await (await real.repository.blobs.resumeUpload(real.id)).commit(digest);
    expect(descriptor.size).toBe(model.bytes.length);
    model.committed.set(String(digest), model.bytes);
    model.bytes = Buffer.alloc(0);
    await newSession(real);
  }
  toString = () => 'Commit';
}

class CommitWrongDigest implements Command {
  check = () => true;
  async run(model: Model, real: Real) {
    const wrong = sha256(Buffer.concat([model.bytes, Buffer.from('x')]));
    await expect((await real.repository.blobs.resumeUpload(real.id)).commit(wrong)).rejects.toBeInstanceOf(
      DigestMismatchError,
    );
    await expect(real.repository.blobs.stat(wrong)).rejects.toThrow();
    model.bytes = Buffer.alloc(0);
    await newSession(real);
  }
  toString = () => 'CommitWrongDigest';
}

class Cancel implements Command {
  check = () => true;
  async run(model: Model, real: Real) {
    await (await real.repository.blobs.resumeUpload(real.id)).cancel();
    model.bytes = Buffer.alloc(0);
    await newSession(real);
  }
  toString = () => 'Cancel';
}

/** After every step the session's size is the model's and every commit so far reads back whole. */
class Checked implements Command {
  constructor(readonly inner: Command) {}
  check = (model: Readonly<Model>) => this.inner.check(model);
  async run(model: Model, real: Real) {
    await this.inner.run(model, real);
    await new Status().run(model, real);
    await checkCommitted(model, real);
  }
  toString = () => this.inner.toString();
}

const chunk = fc.uint8Array({ minLength: 1, maxLength: 3000 }).map((bytes) => Buffer.from(bytes));
const steps = [
  chunk.map((bytes) => new Write(bytes)),
  fc
    .tuple(
      chunk,
      fc.integer({ min: -50, max: 50 }).filter((shift) => shift !== 0),
    )
    .map(([bytes, shift]) => new WriteAtWrongOffset(bytes, shift)),
  fc.tuple(chunk, chunk, chunk).map(([a, b, c]) => new RacingWrite(a, b, c)),
  fc.constant(new Status()),
  fc.constant(new Restart()),
  fc.constant(new Commit()),
  fc.constant(new CommitWrongDigest()),
  fc.constant(new Cancel()),
];
const commands = steps.map((step) => step.map((command) => new Checked(command)));

async function checkCommitted(model: Model, real: Real): Promise<void> {
  for (const [digest, bytes] of model.committed) {
    const stored = await readAll(await real.repository.blobs.open(sha256(bytes)));
    expect(`sha256:${createHash('sha256').update(stored).digest('hex')}`).toBe(digest);
    expect(stored.equals(bytes)).toBe(true);
  }
}

describe.each([
  [
    'memory, node:crypto hashing',
    nodeHashing,
    async () => ({ driver: new MemoryDriver(), dispose: async () => {} }),
  ],
  [
    'filesystem, wasm hashing (state saved with the session)',
    wasmHashing,
    async () => {
      const root = await mkdtemp(path.join(tmpdir(), 'glci-upload-prop-'));
      return {
        driver: new FsDriver({ root, fsync: false }),
        dispose: () => rm(root, { recursive: true, force: true }),
      };
    },
  ],
] as const)('upload session state machine (%s)', (_name, hashing, makeDriver) => {
  it('holds the model after every step of random command sequences', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 25, size: 'large' }), async (sequence) => {
        const { driver, dispose } = await makeDriver();
        try {
          const namespace = testNamespace({ driver, hashing });
          const real: Real = {
            driver,
            hashing,
            namespace,
            repository: await namespace.repository('prop/app'),
            id: '',
          };
          await newSession(real);
          const model: Model = { bytes: Buffer.alloc(0), committed: new Map() };
          await fc.asyncModelRun(() => ({ model, real }), sequence);
        } finally {
          await dispose();
        }
      }),
      { numRuns: 40 },
    );
  });
});
