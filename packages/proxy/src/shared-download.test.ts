import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { createLogger } from '@glci/config';
import {
  type BlobWriter,
  type Descriptor,
  FileRangeStream,
  FsDriver,
  type LocalBlobIngester,
  parseDigest,
} from '@glci/registry';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DownloadDestination, SharedDownload } from './shared-download.js';

const logger = createLogger({ silent: true });

/**
 * An upload session that records what it receives. The registry's own upload store is exercised by
 * the end-to-end tests; here the point is what the tee hands its sink and when.
 */
class RecordingWriter implements BlobWriter {
  readonly id = 'recording';
  readonly startedAt = new Date(0);
  readonly chunks: Buffer[] = [];
  committedWith: string | undefined;
  cancelled = false;
  get size() {
    return this.chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  }
  async write(source: Readable | Uint8Array): Promise<number> {
    this.chunks.push(Buffer.from(source as Uint8Array));
    return this.size;
  }
  async close() {}
  async commit(expected: Descriptor['digest']): Promise<Descriptor> {
    const actual = createHash('sha256').update(Buffer.concat(this.chunks)).digest('hex');
    if (actual !== expected.hex) throw new Error('digest mismatch in sink');
    this.committedWith = String(expected);
    return { mediaType: 'application/octet-stream', digest: expected, size: this.size };
  }
  async cancel() {
    this.cancelled = true;
  }
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function waitForBytes(download: SharedDownload, count: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (download.received >= count ? resolve() : setImmediate(check));
    check();
  });
}

let temp: string;
beforeEach(async () => {
  temp = await mkdtemp(path.join(os.tmpdir(), 'glci-proxy-test-'));
});
afterEach(async () => {
  await rm(temp, { recursive: true, force: true });
});

/** A sink whose commit waits for `release()`: the window between verification and commit. */
class SlowCommitWriter extends RecordingWriter {
  #release: () => void = () => undefined;
  readonly #gate = new Promise<void>((resolve) => {
    this.#release = resolve;
  });
  release(): void {
    this.#release();
  }
  override async commit(expected: Descriptor['digest']): Promise<Descriptor> {
    await this.#gate;
    return super.commit(expected);
  }
}

function start(content: Buffer, digestOf: Buffer = content, sink = new RecordingWriter()) {
  return { ...startInto({ sink, tempDirectory: temp }, content, digestOf), sink };
}

function startInto(destination: DownloadDestination, content: Buffer, digestOf: Buffer = content) {
  const source = new PassThrough();
  const download = new SharedDownload({
    descriptor: descriptorOf(content, digestOf),
    upstream: 'http://upstream',
    repository: 'r',
    source,
    destination,
    signal: new AbortController().signal,
    logger,
  });
  return { source, download };
}

function descriptorOf(content: Buffer, digestOf: Buffer = content): Descriptor {
  return {
    mediaType: 'application/octet-stream',
    digest: parseDigest(`sha256:${createHash('sha256').update(digestOf).digest('hex')}`),
    size: content.length,
  };
}

/**
 * A store that adopts files: the real FsDriver's staging and rename, publishing at `/blob`, with a
 * gate to hold an adoption half-way (after the rename, before it returns).
 */
function fileStore() {
  const driver = new FsDriver({ root: temp });
  let release: () => void = () => undefined;
  let gate: Promise<void> | undefined;
  const adopted: Descriptor[] = [];
  const files: LocalBlobIngester = {
    stagingPath: () => driver.localFiles.stagingPath(),
    async adopt(file, descriptor) {
      await driver.localFiles.adopt(file, '/blob');
      await gate;
      adopted.push(descriptor);
      return descriptor;
    },
  };
  return {
    files,
    adopted,
    published: () => readFile(path.join(temp, 'blob')),
    staged: () => readdirSync(path.join(temp, '~tmp')),
    hold() {
      gate = new Promise((resolve) => {
        release = resolve;
      });
      return () => release();
    },
  };
}

function startAdopting(content: Buffer, store: ReturnType<typeof fileStore>, digestOf: Buffer = content) {
  return startInto({ files: store.files }, content, digestOf);
}

describe('SharedDownload', () => {
  it('gives a late reader what has arrived, then the rest, and commits once verified', async () => {
    const content = randomBytes(3 * 300_000);
    const { source, sink, download } = start(content);
    const early = collect(download.read()!);
    source.write(content.subarray(0, 300_000));
    source.write(content.subarray(300_000, 600_000));
    await waitForBytes(download, 600_000);
    const late = collect(download.read()!);
    const range = collect(download.read(100, 550_000)!);
    source.end(content.subarray(600_000));
    expect((await early).equals(content)).toBe(true);
    expect((await late).equals(content)).toBe(true);
    expect((await range).equals(content.subarray(100, 550_100))).toBe(true);
    await download.committed;
    expect(sink.committedWith).toBe(String(download.descriptor.digest));
    expect(Buffer.concat(sink.chunks).equals(content)).toBe(true);
    expect(readdirSync(temp)).toEqual([]);
  });

  it('between verification and commit, readers get the temporary file as a FileRangeStream', async () => {
    const content = randomBytes(3 * 1024 * 1024 + 17);
    const sink = new SlowCommitWriter();
    const { source, download } = start(content, content, sink);
    source.end(content);
    while (download.state !== 'verified') await new Promise((resolve) => setImmediate(resolve));
    const whole = download.read();
    const part = download.read(5, 2 * 1024 * 1024);
    expect(whole).toBeInstanceOf(FileRangeStream);
    expect((await collect(whole!)).equals(content)).toBe(true);
    expect((await collect(part!)).equals(content.subarray(5, 5 + 2 * 1024 * 1024))).toBe(true);
    expect(sink.committedWith).toBeUndefined(); // all of it served before the commit
    sink.release();
    await download.committed;
    expect(readdirSync(temp)).toEqual([]);
    expect(download.read()).toBeUndefined(); // over: the store has it now
  });

  it('keeps downloading for the cache when a reader goes away', async () => {
    const content = randomBytes(400_000);
    const { source, sink, download } = start(content);
    const leaving = download.read()!;
    source.write(content.subarray(0, 100_000));
    await new Promise<void>((resolve) => leaving.once('data', () => resolve()));
    leaving.destroy();
    source.end(content.subarray(100_000));
    await download.committed;
    expect(Buffer.concat(sink.chunks).equals(content)).toBe(true);
    expect(sink.cancelled).toBe(false);
  });

  it('fails its readers and commits nothing when the digest is wrong', async () => {
    const content = randomBytes(10_000);
    const { source, sink, download } = start(content, Buffer.from('something else'));
    const reader = collect(download.read()!);
    source.end(content);
    await expect(reader).rejects.toThrow(/arrived with digest/);
    await expect(download.committed).rejects.toThrow(/arrived with digest/);
    expect(sink.committedWith).toBeUndefined();
    expect(sink.cancelled).toBe(true);
  });

  it('fails its readers when upstream stops short', async () => {
    const content = randomBytes(10_000);
    const { source, download } = start(content);
    const reader = collect(download.read()!);
    source.end(content.subarray(0, 5000));
    await expect(reader).rejects.toThrow(/ended after 5000 of 10000/);
  });

  it('hands out no reader once the download is over', async () => {
    const content = randomBytes(1000);
    const { source, download } = start(content);
    source.end(content);
    await download.committed;
    expect(download.read()).toBeUndefined();
  });

  describe('into a store that adopts files', () => {
    it('writes the bytes once, to a staging file the store then adopts; readers follow it throughout', async () => {
      const content = randomBytes(3 * 1024 * 1024 + 5);
      const store = fileStore();
      const release = store.hold();
      const { source, download } = startAdopting(content, store);
      const early = collect(download.read()!);
      source.write(content.subarray(0, 1024 * 1024));
      await waitForBytes(download, 1024 * 1024);
      expect(store.staged()).toHaveLength(1); // the file readers follow lives in the store's staging area
      const range = download.read(7, 2 * 1024 * 1024)!;
      source.end(content.subarray(1024 * 1024));
      expect((await early).equals(content)).toBe(true);
      // Renamed into place while this reader (opened before) and a new one still read the same file.
      while (store.staged().length > 0) await new Promise((resolve) => setImmediate(resolve));
      const late = download.read()!;
      expect((await collect(range)).equals(content.subarray(7, 7 + 2 * 1024 * 1024))).toBe(true);
      expect((await collect(late)).equals(content)).toBe(true);
      release();
      expect(await download.committed).toEqual(download.descriptor);
      expect(store.adopted).toEqual([download.descriptor]);
      expect((await store.published()).equals(content)).toBe(true);
      expect(download.read()).toBeUndefined();
    });

    it('adopts nothing and removes its staging file when the digest is wrong', async () => {
      const content = randomBytes(50_000);
      const store = fileStore();
      const { source, download } = startAdopting(content, store, Buffer.from('other'));
      const reader = collect(download.read()!);
      source.end(content);
      await expect(reader).rejects.toThrow(/arrived with digest/);
      await expect(download.committed).rejects.toThrow(/arrived with digest/);
      expect(store.adopted).toEqual([]);
      expect(store.staged()).toEqual([]);
      await expect(store.published()).rejects.toThrow(/ENOENT/);
    });

    it('flushes large files in the background and still adopts every byte', async () => {
      const content = randomBytes(40 * 1024 * 1024 + 3); // past the 32 MiB write-behind mark
      const store = fileStore();
      const { source, download } = startAdopting(content, store);
      const reader = collect(download.read()!);
      for (let offset = 0; offset < content.length; offset += 4 * 1024 * 1024) {
        if (!source.write(content.subarray(offset, offset + 4 * 1024 * 1024))) {
          await new Promise((resolve) => source.once('drain', resolve));
        }
      }
      source.end();
      expect((await reader).equals(content)).toBe(true);
      await download.committed;
      expect((await store.published()).equals(content)).toBe(true);
    });
  });
});
