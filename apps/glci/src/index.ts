export { type CliContext, createCliContext } from './cli-context.js';
export { createProgram } from './program.js';
