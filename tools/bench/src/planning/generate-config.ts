import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface GeneratedProject {
  readonly dir: string;
  readonly jobs: number;
  readonly files: number;
}

const STAGES = ['prepare', 'build', 'test', 'package', 'deploy'];

/**
 * A large CI configuration like a big monorepo's: `components` included files of `jobsPerFile`
 * jobs each, every job extending two-level templates from a shared file (plus a `!reference`),
 * with rules, variables and needs on jobs of earlier stages, committed in a real git repository
 * with an `origin` remote (never contacted) whose `main` is pushed.
 */
export function generateProject(options: { components: number; jobsPerFile: number }): GeneratedProject {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'glci-bench-planning-'));
  mkdirSync(path.join(dir, 'ci', 'components'), { recursive: true });
  const templates: string[] = [
    '.base:',
    '  image: node:22',
    '  retry: {max: 1, when: [runner_system_failure]}',
    '  interruptible: true',
    '  variables: {BASE: "1", LOG_LEVEL: info}',
    '.setup:',
    '  script:',
    '    - echo setup',
    '    - npm ci --prefer-offline',
  ];
  for (const stage of STAGES) {
    templates.push(
      `.${stage}:`,
      '  extends: .base',
      `  stage: ${stage}`,
      `  variables: {STAGE_KIND: ${stage}}`,
      '  rules:',
      '    - if: $CI_PIPELINE_SOURCE == "merge_request_event"',
      '    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH',
      `    - if: $CI_COMMIT_TAG && "${stage}" == "deploy"`,
    );
  }
  writeFileSync(path.join(dir, 'ci', 'templates.yml'), `${templates.join('\n')}\n`);
  const includes: string[] = ['  - local: ci/templates.yml'];
  let jobs = 0;
  for (let component = 0; component < options.components; component++) {
    const lines: string[] = [];
    const perStage = Math.ceil(options.jobsPerFile / STAGES.length);
    for (let index = 0; index < options.jobsPerFile; index++) {
      const stageIndex = Math.min(STAGES.length - 1, Math.floor(index / perStage));
      const stage = STAGES[stageIndex]!;
      const name = `c${component}-${stage}-${index}`;
      lines.push(
        `${name}:`,
        `  extends: .${stage}`,
        '  script:',
        '    - !reference [.setup, script]',
        `    - ./run.sh ${name}`,
      );
      lines.push('  variables:', `    COMPONENT: c${component}`, `    JOB_INDEX: "${index}"`);
      if (stageIndex > 0)
        lines.push(
          '  needs:',
          `    - c${component}-${STAGES[stageIndex - 1]}-${(stageIndex - 1) * perStage}`,
        );
      if (index % 7 === 3)
        lines.push('  cache:', `    key: c${component}-$CI_COMMIT_REF_SLUG`, '    paths: [node_modules/]');
      if (index % 11 === 5) lines.push('  artifacts:', '    paths: [dist/]', '    expire_in: 1 day');
      jobs++;
    }
    const file = `ci/components/c${component}.yml`;
    writeFileSync(path.join(dir, file), `${lines.join('\n')}\n`);
    includes.push(`  - local: ${file}`);
  }
  writeFileSync(
    path.join(dir, '.gitlab-ci.yml'),
    [
      `stages: [${STAGES.join(', ')}]`,
      'variables:',
      '  NODE_VERSION: "22"',
      'include:',
      ...includes,
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(dir, 'run.sh'), '#!/bin/sh\necho "$@"\n');
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: dir,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'bench',
        GIT_AUTHOR_EMAIL: 'bench@localhost',
        GIT_COMMITTER_NAME: 'bench',
        GIT_COMMITTER_EMAIL: 'bench@localhost',
      },
      stdio: 'ignore',
    });
  git('init', '-q', '-b', 'main');
  git('remote', 'add', 'origin', 'https://gitlab.example.com/bench/monorepo.git');
  git('add', '-A');
  git('commit', '-q', '-m', 'generated');
  git('update-ref', 'refs/remotes/origin/main', 'HEAD');
  git('symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/main');
  git('config', 'branch.main.remote', 'origin');
  git('config', 'branch.main.merge', 'refs/heads/main');
  return { dir, jobs, files: options.components + 2 };
}
