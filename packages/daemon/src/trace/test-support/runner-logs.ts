/**
 * Job logs as gitlab-runner 17.x writes them for the Docker executor, byte for byte: the
 * `\e[0K…\e[0;m` framing of executor messages, section markers back to back on one line, cyan
 * bold section titles, green `$ command` echoes, `\r` progress, and (timestamped variants) the
 * `FF_USE_TIMESTAMPS` record headers with their `+` continuations after partial writes.
 * Written out by hand so every escape is visible in review.
 */

const E = '\x1b';
const CLEAR = `\r${E}[0K`;
const title = (text: string) => `${E}[0K${E}[36;1m${text}${E}[0;m${E}[0;m`;
const info = (text: string) => `${E}[0K${text}${E}[0;m`;
const green = (text: string) => `${E}[32;1m${text}${E}[0;m`;
const start = (time: number, name: string, options = '') => `section_start:${time}:${name}${options}${CLEAR}`;
const end = (time: number, name: string) => `section_end:${time}:${name}${CLEAR}`;

/** A Node project's test job: prepare, clone, cache restore, script, cache save, artifacts. */
export const dockerJobSucceeded = [
  `${info('Running with gitlab-runner 17.9.0 (c4cbe9dd)')}\n`,
  `${info('  on glci-runner-a1b2 t2_Xy7Qw, system ID: r_Ab3dE5fG7hI9')}\n`,
  `${start(1732350000, 'prepare_executor')}${title('Preparing the "docker" executor')}\n`,
  `${info('Using Docker executor with image node:20-alpine ...')}\n`,
  `${info('Using locally found image version due to "if-not-present" pull policy')}\n`,
  `${info('Using docker image sha256:6d1cb3a2f0e1 for node:20-alpine with digest node@sha256:0d2a5b ...')}\n`,
  `${end(1732350002, 'prepare_executor')}${start(1732350002, 'prepare_script')}${title('Preparing environment')}\n`,
  'Running on runner-t2xy7qw-project-1-concurrent-0 via 3c9f8e2a1b4d...\n',
  `${end(1732350003, 'prepare_script')}${start(1732350003, 'get_sources')}${title('Getting source from Git repository')}\n`,
  `${green('Fetching changes with git depth set to 20...')}\n`,
  'Initialized empty Git repository in /builds/group/app/.git/\n',
  `${green('Created fresh repository.')}\n`,
  `${green('Checking out 5f0c6a1e as detached HEAD (ref is main)...')}\n`,
  '\n',
  `${green('Skipping Git submodules setup')}\n`,
  `${end(1732350005, 'get_sources')}${start(1732350005, 'restore_cache')}${title('Restoring cache')}\n`,
  `${green('Checking cache for default-protected...')}\n`,
  `Downloading cache from http://glci-mock:39741/runner-cache/project/1/default-protected${E}[0;m  ETag${E}[0;m="9b2c"\n`,
  `${green('Successfully extracted cache')}\n`,
  `${end(1732350006, 'restore_cache')}${start(1732350006, 'step_script')}${title('Executing "step_script" stage of the job script')}\n`,
  `${info('Using docker image sha256:6d1cb3a2f0e1 for node:20-alpine with digest node@sha256:0d2a5b ...')}\n`,
  `${green('$ npm ci')}\n`,
  '\n',
  'added 120 packages, and audited 121 packages in 3s\n',
  `${green('$ npm test')}\n`,
  '\n',
  '> app@1.0.0 test\n',
  '> node --test\n',
  '\n',
  `${E}[32m✔ adds numbers ${E}[90m(0.512ms)${E}[39m${E}[39m\n`,
  `${E}[34mℹ tests 1${E}[39m\n`,
  `${end(1732350015, 'step_script')}${start(1732350015, 'archive_cache')}${title('Saving cache for successful job')}\n`,
  `${green('Creating cache default-protected...')}\n`,
  `node_modules/: found 2150 matching artifact files and directories${E}[0;m \n`,
  `Uploading cache.zip to http://glci-mock:39741/runner-cache/project/1/default-protected${E}[0;m \n`,
  `${green('Created cache')}\n`,
  `${end(1732350017, 'archive_cache')}${start(1732350017, 'upload_artifacts_on_success')}${title('Uploading artifacts for successful job')}\n`,
  `${green('Uploading artifacts...')}\n`,
  `dist/: found 4 matching artifact files and directories${E}[0;m \n`,
  `Uploading artifacts as "archive" to coordinator... 201 Created${E}[0;m  id${E}[0;m=42 responseStatus${E}[0;m=201 Created token${E}[0;m=glcbt-64\n`,
  `${end(1732350018, 'upload_artifacts_on_success')}${start(1732350018, 'cleanup_file_variables')}${title('Cleaning up project directory and file based variables')}\n`,
  `${end(1732350019, 'cleanup_file_variables')}${green('Job succeeded')}\n`,
].join('');

export const dockerJobSucceededRendered = [
  'test | Running with gitlab-runner 17.9.0 (c4cbe9dd)',
  'test |   on glci-runner-a1b2 t2_Xy7Qw, system ID: r_Ab3dE5fG7hI9',
  'test | ▸ Preparing the "docker" executor (2s)',
  'test | ▸ Preparing environment (1s)',
  'test | ▸ Getting source from Git repository (2s)',
  'test | ▸ Restoring cache (1s)',
  'test | ▾ Executing "step_script" stage of the job script',
  'test | Using docker image sha256:6d1cb3a2f0e1 for node:20-alpine with digest node@sha256:0d2a5b ...',
  'test | $ npm ci',
  'test | ',
  'test | added 120 packages, and audited 121 packages in 3s',
  'test | $ npm test',
  'test | ',
  'test | > app@1.0.0 test',
  'test | > node --test',
  'test | ',
  'test | ✔ adds numbers (0.512ms)',
  'test | ℹ tests 1',
  'test | ▸ Saving cache for successful job (2s)',
  'test | ▸ Uploading artifacts for successful job (1s)',
  'test | ▸ Cleaning up project directory and file based variables (1s)',
  'test | Job succeeded',
];

/**
 * A shorter job with `FF_USE_TIMESTAMPS` on: executor messages on stream 00, the script's output
 * on stream 01 (stderr as `01E`). A marker is a write with `\r` but no `\n`, so the runner
 * closes the record with an artificial `\n` and the next record of that stream carries `+`.
 */
export const timestampedJobFailed = [
  `2024-11-23T08:20:00.101234Z 00O ${info('Running with gitlab-runner 17.9.0 (c4cbe9dd)')}\n`,
  `2024-11-23T08:20:00.101301Z 00O ${info('  on glci-runner-a1b2 t2_Xy7Qw, system ID: r_Ab3dE5fG7hI9')}\n`,
  `2024-11-23T08:20:00.101377Z 00O ${start(1732350000, 'prepare_executor')}\n`,
  `2024-11-23T08:20:00.101402Z 00O+${title('Preparing the "docker" executor')}\n`,
  `2024-11-23T08:20:00.215001Z 00O ${info('Using Docker executor with image alpine:3.20 ...')}\n`,
  `2024-11-23T08:20:01.730113Z 00O ${end(1732350001, 'prepare_executor')}\n`,
  `2024-11-23T08:20:01.730159Z 00O+${start(1732350001, 'get_sources')}\n`,
  `2024-11-23T08:20:01.730188Z 00O+${title('Getting source from Git repository')}\n`,
  `2024-11-23T08:20:01.902640Z 01O ${green('Fetching changes with git depth set to 20...')}\n`,
  `2024-11-23T08:20:02.100877Z 01O ${green('Checking out 5f0c6a1e as detached HEAD (ref is main)...')}\n`,
  `2024-11-23T08:20:02.311019Z 00O ${end(1732350002, 'get_sources')}\n`,
  `2024-11-23T08:20:02.311060Z 00O+${start(1732350002, 'step_script')}\n`,
  `2024-11-23T08:20:02.311081Z 00O+${title('Executing "step_script" stage of the job script')}\n`,
  `2024-11-23T08:20:02.512990Z 01O ${green('$ ./build.sh')}\n`,
  '2024-11-23T08:20:02.600001Z 01O compiling 3 files\n',
  '2024-11-23T08:20:02.700123Z 01E build.sh: line 4: missing-tool: command not found\n',
  `2024-11-23T08:20:02.810447Z 00O ${end(1732350003, 'step_script')}\n`,
  `2024-11-23T08:20:02.810501Z 00O+${start(1732350003, 'cleanup_file_variables')}\n`,
  `2024-11-23T08:20:02.810530Z 00O+${title('Cleaning up project directory and file based variables')}\n`,
  `2024-11-23T08:20:03.001112Z 00O ${end(1732350003, 'cleanup_file_variables')}\n`,
  `2024-11-23T08:20:03.001160Z 00O+${E}[31;1mERROR: Job failed: exit code 127\n`,
  `2024-11-23T08:20:03.001170Z 00O ${E}[0;m\n`,
].join('');

export const timestampedJobFailedRendered = [
  'build | Running with gitlab-runner 17.9.0 (c4cbe9dd)',
  'build |   on glci-runner-a1b2 t2_Xy7Qw, system ID: r_Ab3dE5fG7hI9',
  'build | ▸ Preparing the "docker" executor (1s)',
  'build | ▸ Getting source from Git repository (1s)',
  'build | ▾ Executing "step_script" stage of the job script',
  'build | $ ./build.sh',
  'build | compiling 3 files',
  'build | build.sh: line 4: missing-tool: command not found',
  'build | ▸ Cleaning up project directory and file based variables (0s)',
  'build | ERROR: Job failed: exit code 127',
  'build | ',
];

/**
 * A script that opens its own sections (as GitLab documents: `echo -e "section_start:…"`), one
 * of them `[collapsed=true]` with a nested section inside, plus a `\r` progress bar and output
 * after the last `section_end` on the same line.
 */
export const userSections = [
  `${start(1732350100, 'step_script')}${title('Executing "step_script" stage of the job script')}\n`,
  `${green('$ ./ci/build.sh')}\n`,
  `${start(1732350100, 'deps', '[collapsed=true]')}Installing dependencies\n`,
  'fetching left-pad\n',
  `${start(1732350101, 'deps_native')}Building native modules\n`,
  'gyp info ok\n',
  `${end(1732350104, 'deps_native')}${end(1732350105, 'deps')}\n`,
  `${start(1732350105, 'compile')}${E}[1mCompiling${E}[0m\n`,
  'Downloading toolchain   0%\rDownloading toolchain  45%\rDownloading toolchain 100%\n',
  'built 12 modules\n',
  `${end(1732350107, 'compile')}done in 7s\n`,
  `${start(1732350107, 'quiet', '[hide_duration=true]')}Quiet section\n`,
  `${end(1732350109, 'quiet')}${end(1732350109, 'step_script')}`,
].join('');

export const userSectionsRendered = [
  'lint | ▾ Executing "step_script" stage of the job script',
  'lint | $ ./ci/build.sh',
  'lint | ▸ Installing dependencies (5s)',
  'lint | ▾ Compiling',
  'lint |   Downloading toolchain 100%',
  'lint |   built 12 modules',
  'lint | done in 7s',
  'lint | ▾ Quiet section',
];

export const userSectionsExpanded = [
  'lint | ▾ Executing "step_script" stage of the job script',
  'lint | $ ./ci/build.sh',
  'lint | ▾ Installing dependencies',
  'lint |   fetching left-pad',
  'lint |   ▾ Building native modules',
  'lint |     gyp info ok',
  'lint |   ▴ deps_native (3s)',
  'lint | ▴ deps (5s)',
  'lint | ▾ Compiling',
  'lint |   Downloading toolchain 100%',
  'lint |   built 12 modules',
  'lint | ▴ compile (2s)',
  'lint | done in 7s',
  'lint | ▾ Quiet section',
  'lint | ▴ quiet',
  'lint | ▴ step_script (9s)',
];

/** A job killed while cloning: `get_sources` never ends, so it is shown in full. */
export const killedInGetSources = [
  `${info('Running with gitlab-runner 17.9.0 (c4cbe9dd)')}\n`,
  `${start(1732350200, 'get_sources')}${title('Getting source from Git repository')}\n`,
  `${green('Fetching changes with git depth set to 20...')}\n`,
  "fatal: unable to access 'http://glci-mock:39741/group/app.git/': Could not resolve host: glci-mock\n",
  `${E}[31;1mERROR: Job failed (system failure): aborted: terminated${E}[0;m\n`,
].join('');

export const killedInGetSourcesRendered = [
  'deploy | Running with gitlab-runner 17.9.0 (c4cbe9dd)',
  'deploy | ▾ Getting source from Git repository (unfinished)',
  'deploy | Fetching changes with git depth set to 20...',
  "deploy | fatal: unable to access 'http://glci-mock:39741/group/app.git/': Could not resolve host: glci-mock",
  'deploy | ERROR: Job failed (system failure): aborted: terminated',
];
