import { describeStorageDriver } from './conformance.js';
import { MemoryDriver } from './memory-driver.js';

describeStorageDriver('MemoryDriver', () => new MemoryDriver(), { largeFileBytes: 16 * 1024 * 1024 });
