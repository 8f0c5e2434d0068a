#!/usr/bin/env node
import { main } from './cli.js';

// The entry from the sources (tsx) and tsc's output; the build replaces `dist/bin.js` with
// `bundle-launcher.ts`, which runs the same `main` from the bundle.
process.exitCode = await main(process.argv);
