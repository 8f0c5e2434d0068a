import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run } from './processes.js';

/** A certificate authority made for one test: its certificate and key (PEM files). */
export interface TestCertificateAuthority {
  readonly cert: string;
  readonly key: string;
}

/** A certificate signed by a test CA, with the CA's certificate beside it as `ca.pem` (Docker's DOCKER_CERT_PATH layout). */
export interface TestCertificate {
  /** The directory holding ca.pem, cert.pem and key.pem. */
  readonly dir: string;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/**
 * A new CA under `dir` (ca.pem, ca-key.pem), made with the openssl CLI at test time: nothing
 * secret lives in the repository, and each test gets CAs no other test trusts.
 */
export async function createCertificateAuthority(
  dir: string,
  name: string,
): Promise<TestCertificateAuthority> {
  await mkdir(dir, { recursive: true });
  const cert = path.join(dir, 'ca.pem');
  const key = path.join(dir, 'ca-key.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
  ]);
  return { cert, key };
}

/**
 * A client certificate (extendedKeyUsage clientAuth) signed by `authority`, written as Docker's
 * client directory: `dir/ca.pem` (the authority), `dir/cert.pem`, `dir/key.pem`.
 */
export async function createClientCertificate(
  authority: TestCertificateAuthority,
  dir: string,
  name = 'glci test client',
): Promise<TestCertificate> {
  await mkdir(dir, { recursive: true });
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const csr = path.join(dir, 'client.csr');
  const ext = path.join(dir, 'client.ext');
  await run('openssl', [
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    csr,
    '-subj',
    `/CN=${name}`,
  ]);
  await writeFile(ext, 'extendedKeyUsage=clientAuth\n');
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    authority.cert,
    '-CAkey',
    authority.key,
    '-CAcreateserial',
    '-out',
    cert,
    '-days',
    '2',
    '-extfile',
    ext,
  ]);
  const ca = path.join(dir, 'ca.pem');
  await copyFile(authority.cert, ca);
  return { dir, ca, cert, key };
}
