import { describeHttpApi } from './test-support/http-suite.js';
import { useFsStorage } from './test-support/test-storage.js';

// The registry's HTTP suites, unchanged, on FsDriver (each registry on its own temporary directory).
describeHttpApi(useFsStorage());
