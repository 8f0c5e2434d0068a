import { useFilesystemStores } from './test-support/harness.js';

// The whole pull-through suite again, with the local store on the filesystem: downloads are then
// staged in the store's own directory and adopted by rename (written once), not streamed into an
// upload session as with the in-memory store the suite uses by default.
useFilesystemStores();
await import('./pull-through.docker.test.js');
