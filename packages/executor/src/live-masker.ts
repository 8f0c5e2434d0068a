import type { JobSpecInput } from '@glci/runner-api';

/**
 * The token prefixes gitlab-runner masks by default (`FF_MASK_ALL_DEFAULT_TOKENS`, on): the
 * characters after the prefix become `[MASKED]`.
 */
export const DEFAULT_TOKEN_PREFIXES: readonly string[] = [
  'glpat-',
  'gloas-',
  'gldt-',
  'glrt-',
  'glcbt-',
  'glptt-',
  'glft-',
  'glimt-',
  'glagent-',
  'glsoat-',
  'glffct-',
  '_gitlab_session=',
  'gltok-',
];

const MASK = '[MASKED]';
/** The characters the runner takes as part of a token after its prefix. */
const TOKEN_CHARS = /^[-.0-9A-Za-z_=]+/;

/**
 * Masks a job's output the way the runner masks its log, for what glci shows before the runner
 * uploads it (live from Docker): every masked variable's value becomes `[MASKED]`, and a token
 * after one of the default prefixes becomes `<prefix>[MASKED]`. The runner's log is the record;
 * this keeps the preview from showing what the record will hide.
 */
export class LiveMasker {
  readonly #phrases: readonly string[];
  readonly #prefixes: readonly string[];

  constructor(phrases: readonly string[], prefixes: readonly string[] = DEFAULT_TOKEN_PREFIXES) {
    // Longest first, so a phrase that contains another is masked whole.
    this.#phrases = [...new Set(phrases.filter((phrase) => phrase.length > 0))].sort(
      (a, b) => b.length - a.length,
    );
    this.#prefixes = prefixes;
  }

  /** The masked values of a job spec's variables (its own and the pipeline's). */
  static forJob(
    spec: Pick<JobSpecInput, 'variables' | 'pipeline_variables'>,
    /** Secrets the job gets from the mock rather than its spec (an external registry's password). */
    extra: readonly string[] = [],
  ): LiveMasker {
    const phrases: string[] = extra.filter((phrase) => phrase.length > 0);
    for (const variables of [spec.variables, spec.pipeline_variables]) {
      for (const variable of Object.values(variables ?? {})) {
        if (typeof variable === 'object' && variable !== null && variable.masked === true) {
          phrases.push(String(variable.value));
        }
      }
    }
    return new LiveMasker(phrases);
  }

  mask(text: string): string {
    let masked = text;
    for (const phrase of this.#phrases) masked = masked.split(phrase).join(MASK);
    for (const prefix of this.#prefixes) {
      let from = 0;
      for (;;) {
        const at = masked.indexOf(prefix, from);
        if (at === -1) break;
        const start = at + prefix.length;
        const token = TOKEN_CHARS.exec(masked.slice(start))?.[0] ?? '';
        if (token.length > 0 && !masked.startsWith(MASK, start)) {
          masked = `${masked.slice(0, start)}${MASK}${masked.slice(start + token.length)}`;
        }
        from = start;
      }
    }
    return masked;
  }
}
