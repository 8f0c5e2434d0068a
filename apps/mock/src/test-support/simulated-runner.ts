import { randomUUID } from 'node:crypto';
import { crc32, formatChecksum } from '@glci/runner-api';

/**
 * The runner's side of the protocol, as far as these tests need it (the official gitlab-runner
 * cannot be built here): poll for a job, the two-phase `running` update, a trace patch, the final
 * update with the log's crc32 and size. Headers and bodies as runner-protocol.md §1–2 describe.
 */
export class SimulatedRunner {
  constructor(
    readonly baseUrl: string,
    readonly token: string,
    readonly systemId = `s_${randomUUID().replace(/-/g, '').slice(0, 12)}`,
  ) {}

  #headers(extra: Record<string, string>): Record<string, string> {
    return {
      'User-Agent': 'gitlab-runner 19.4.0 (main; go1.24.6; linux/amd64)',
      'X-Request-Id': randomUUID().replace(/-/g, ''),
      ...extra,
    };
  }

  /** `POST /api/v4/jobs/request` → the payload (201) or undefined (204). */
  async requestJob(): Promise<{ id: number; token: string; variables: { key: string; value: string }[] }> {
    const response = await fetch(`${this.baseUrl}/api/v4/jobs/request`, {
      method: 'POST',
      headers: this.#headers({
        'RUNNER-TOKEN': this.token,
        'Content-Type': 'application/json',
        Accept: 'application/json',
      }),
      body: JSON.stringify({
        token: this.token,
        system_id: this.systemId,
        info: {
          name: 'gitlab-runner',
          version: '19.4.0',
          executor: 'docker',
          features: { two_phase_job_commit: true },
        },
      }),
    });
    if (response.status !== 201) throw new Error(`jobs/request answered ${response.status}`);
    if (response.headers.get('content-type')?.split(';')[0] !== 'application/json') {
      throw new Error('the job payload is not application/json');
    }
    return (await response.json()) as {
      id: number;
      token: string;
      variables: { key: string; value: string }[];
    };
  }

  async update(id: number, token: string, body: Record<string, unknown>): Promise<number> {
    const response = await fetch(`${this.baseUrl}/api/v4/jobs/${id}`, {
      method: 'PUT',
      headers: this.#headers({ 'JOB-TOKEN': token, 'Content-Type': 'application/json' }),
      body: JSON.stringify({ token, ...body }),
    });
    await response.arrayBuffer();
    return response.status;
  }

  async patchTrace(id: number, token: string, text: string): Promise<number> {
    const bytes = Buffer.from(text);
    const response = await fetch(`${this.baseUrl}/api/v4/jobs/${id}/trace?debug_trace=false`, {
      method: 'PATCH',
      headers: this.#headers({
        'JOB-TOKEN': token,
        'Content-Range': `0-${bytes.length - 1}`,
        'Content-Type': 'text/plain',
      }),
      body: bytes,
    });
    await response.arrayBuffer();
    return response.status;
  }

  /** The final update (`state` success) for a job whose whole log is `log`; the mock's answer. */
  finish(id: number, token: string, log: string): Promise<number> {
    const checksum = formatChecksum(crc32(Buffer.from(log)));
    return this.update(id, token, {
      state: 'success',
      exit_code: 0,
      checksum,
      output: { checksum, bytesize: Buffer.byteLength(log) },
    });
  }
}
