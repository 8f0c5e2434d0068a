/** Command line of `pnpm bench`. */
export interface CliOptions {
  readonly quick: boolean;
  /** `true`: JSON on stdout instead of the table; a string: also write JSON to that file. */
  readonly json: boolean | string;
  /** `--chart FILE`: the SVG bar chart there; `false` (`--no-chart`): none. Unset: beside `--json FILE`. */
  readonly chart?: string | false;
  readonly only?: ReadonlySet<string>;
  /** Which registry is measured against distribution (`distribution` checks the harness itself). */
  readonly candidate: 'glci' | 'distribution' | 'crane';
  readonly repetitions?: number;
  /** Build the CLI first (`--no-build` runs whatever apps/glci/dist holds). */
  readonly build: boolean;
  /** Fill free memory with page-cache ballast before each scenario group (`--no-prime`; never with --quick). */
  readonly prime: boolean;
  readonly help: boolean;
  readonly list: boolean;
}

export const USAGE = `usage: pnpm bench [--quick] [--only ROW,ROW] [--json [FILE]] [--chart FILE | --no-chart] [--runs N] [--candidate glci|distribution|crane] [--no-build] [--no-prime] [--list]

Runs CNCF distribution 2.8.2 and glci's registry side by side (and glci show / glci run against
gitlab-ci-local 4.73.0: the planning and pipeline rows) and prints one ratio per row.
  --quick              small sizes and one run per side: a smoke run of the harness
  --only ROW,ROW       run only these rows (see --list)
  --json [FILE]        write machine-readable results to FILE, or print them instead of the table
  --chart FILE         write the results as an SVG bar chart to FILE (default: beside --json FILE, .svg)
  --no-chart           no chart, even with --json FILE
  --runs N             timed runs per row and side (default 3, 1 with --quick); the median is reported
  --candidate NAME     glci (default); distribution to check the harness (ratios near 1.00x); crane
                       for crane's in-memory registry on the plain registry rows: the ceiling the
                       clients leave any registry (S3, proxy, planning and pipeline rows not run)
  --no-build           do not build the CLI first (turbo run build --filter=@glci/cli)
  --no-prime           do not fill free memory with page-cache ballast before each group (see README)
  --list               list the rows and exit
Progress goes to stderr, results to stdout.`;

export function parseOptions(argv: readonly string[]): CliOptions {
  let quick = false;
  let json: boolean | string = false;
  let chart: string | false | undefined;
  let only: Set<string> | undefined;
  let candidate: CliOptions['candidate'] = 'glci';
  let repetitions: number | undefined;
  let build = true;
  let prime = true;
  let help = false;
  let list = false;
  const args = [...argv];
  const value = (flag: string, inline: string | undefined) => {
    const next = inline ?? args.shift();
    if (next === undefined || next.startsWith('--')) throw new Error(`${flag} needs a value\n${USAGE}`);
    return next;
  };
  while (args.length > 0) {
    const arg = args.shift()!;
    if (arg === '--') continue;
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg];
    switch (flag) {
      case '--quick':
        quick = true;
        break;
      case '--json':
        if (inline !== undefined) json = inline;
        else if (args[0] !== undefined && !args[0].startsWith('--')) json = args.shift()!;
        else json = true;
        break;
      case '--chart':
        chart = value(flag, inline);
        break;
      case '--no-chart':
        chart = false;
        break;
      case '--only':
        only = new Set(
          value(flag, inline)
            .split(',')
            .map((id) => id.trim())
            .filter(Boolean),
        );
        break;
      case '--candidate': {
        const name = value(flag, inline);
        if (name !== 'glci' && name !== 'distribution' && name !== 'crane')
          throw new Error(`--candidate must be glci, distribution or crane\n${USAGE}`);
        candidate = name;
        break;
      }
      case '--runs': {
        const runs = Number(value(flag, inline));
        if (!Number.isInteger(runs) || runs < 1 || runs > 20)
          throw new Error(`--runs must be 1..20\n${USAGE}`);
        repetitions = runs;
        break;
      }
      case '--no-build':
        build = false;
        break;
      case '--no-prime':
        prime = false;
        break;
      case '--list':
        list = true;
        break;
      case '--help':
      case '-h':
        help = true;
        break;
      default:
        throw new Error(`unknown argument ${arg}\n${USAGE}`);
    }
  }
  return {
    quick,
    json,
    candidate,
    build,
    prime,
    help,
    list,
    ...(only ? { only } : {}),
    ...(chart !== undefined ? { chart } : {}),
    ...(repetitions !== undefined ? { repetitions } : {}),
  };
}
