import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { GitError } from '../errors.js';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const OPTIONS = { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 } as const;
const environment = () => ({ ...process.env, LC_ALL: 'C' });

/** Runs one git command in `cwd`; never throws for a non-zero exit (the caller decides). */
export function runGit(cwd: string, args: readonly string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile('git', args as string[], { ...OPTIONS, cwd, env: environment() }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(new GitError(`git ${args.join(' ')}`, error.message));
        return;
      }
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

/** The exit status a POSIX shell gives a command it cannot find. */
const COMMAND_NOT_FOUND = 127;

/**
 * Runs several git commands one after another in `cwd` and returns each one's exit code, output
 * and error output, as `runGit` would. They share one `sh` child: every child process Node starts
 * forks the whole Node process first, which costs several milliseconds of the main thread once the
 * heap holds a planned pipeline (measured: 3 ms at 46 MB RSS, 12 ms at 390 MB), while `sh` forks
 * each `git` from a process of a few hundred kilobytes. The commands are the same, with the same
 * environment, so their answers are too.
 */
export function runGitBatch(cwd: string, commands: readonly (readonly string[])[]): Promise<RunResult[]> {
  if (commands.length === 1) return runGit(cwd, commands[0]!).then((result) => [result]);
  // A fresh marker per batch: it ends every command's output, and no git output contains it.
  const marker = `glci-git-batch-${randomBytes(12).toString('hex')}`;
  const script = commands
    .map(
      (args) =>
        `git ${args.map(shellQuote).join(' ')}; printf '\\n%s %s\\n' ${marker} $?; printf '\\n%s\\n' ${marker} >&2`,
    )
    .join('\n');
  const label = commands.map((args) => `git ${args.join(' ')}`).join('; ');
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', script], { ...OPTIONS, cwd, env: environment() }, (error, stdout, stderr) => {
      try {
        if (error) throw new GitError(label, error.message);
        resolve(batchResults(commands, stdout, stderr, marker, label));
      } catch (failure) {
        reject(failure);
      }
    });
  });
}

function batchResults(
  commands: readonly (readonly string[])[],
  stdout: string,
  stderr: string,
  marker: string,
  label: string,
): RunResult[] {
  const errors = stderr.split(`\n${marker}\n`);
  return splitOutputs(stdout, marker, commands.length, label).map(({ code, stdout: output }, index) => {
    const errorOutput = errors[index] ?? '';
    // As `runGit` does when it cannot start git at all.
    if (code === COMMAND_NOT_FOUND)
      throw new GitError(`git ${commands[index]!.join(' ')}`, errorOutput.trim() || 'git was not found');
    return { code, stdout: output, stderr: errorOutput };
  });
}

/** Each command's output up to its marker line (`\n<marker> <exit code>\n`). */
function splitOutputs(
  stdout: string,
  marker: string,
  count: number,
  label: string,
): { code: number; stdout: string }[] {
  const outputs: { code: number; stdout: string }[] = [];
  let position = 0;
  for (let index = 0; index < count; index++) {
    const end = stdout.indexOf(`\n${marker} `, position);
    const codeStart = end + marker.length + 2;
    const lineEnd = stdout.indexOf('\n', codeStart);
    if (end === -1 || lineEnd === -1) throw new GitError(label, 'the shell ended before every command ran');
    outputs.push({ code: Number(stdout.slice(codeStart, lineEnd)), stdout: stdout.slice(position, end) });
    position = lineEnd + 1;
  }
  return outputs;
}

/** A single-quoted shell word: the text exactly, whatever it contains. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
