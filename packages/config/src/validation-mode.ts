import { z } from 'zod';

/**
 * Makes zod validate by walking each schema instead of compiling a parser for it. zod 4 compiles
 * an object schema's fast path with `new Function` on its first use; code made that way is compiled
 * again in every process and never comes from V8's code cache, so a process that parses a few
 * documents (every glci command: the configuration, a plan request, a GitLab answer) pays more for
 * compiling than it saves. Measured on a warm `glci show` of the bench's GitLab project: 0.40 s of
 * CPU with the compiled parsers, 0.34 s without. The results are the same either way. Process-wide
 * (zod keeps one configuration), so only an entry point calls it: the CLI, before it loads any
 * configuration.
 */
export function preferInterpretedValidation(): void {
  z.config({ jitless: true });
}
