import type { DockerTls } from '@glci/config';
import { DockerConnectionError, dockerStatusCode } from '../errors.js';

/** Node's codes for a daemon certificate glci does not trust. */
const UNTRUSTED_CERTIFICATE = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
]);

const UNREACHABLE = new Set([
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
]);

/**
 * Turns a low-level failure into an error that names the endpoint and the step that failed, and
 * says what to try. `tls` (the endpoint's TLS settings) lets the message say where the CA and the
 * client certificate came from.
 */
export function classifyConnectionError(
  host: string,
  error: unknown,
  tls?: DockerTls,
): DockerConnectionError {
  if (error instanceof DockerConnectionError) return error;
  const code = (error as NodeJS.ErrnoException | null)?.code ?? '';
  const detail = error instanceof Error ? error.message : String(error);
  const socket = host.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
  const origin = tls ? ` (TLS settings from ${tls.origin})` : '';
  const fail = (problem: DockerConnectionError['problem'], message: string) =>
    new DockerConnectionError(host, problem, `${host}: ${message}`, error);

  if (code === 'ENOENT' || (code === 'ECONNREFUSED' && socket)) {
    return fail(
      'not-running',
      socket
        ? `connect: the Docker daemon is not running: nothing listens on ${socket} (${code}). Start dockerd, or point [docker] host / DOCKER_HOST at a running daemon`
        : `connect: the Docker daemon is not running (${code})`,
    );
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return fail(
      'permission',
      `connect: permission denied on ${socket ?? host}: add your user to the "docker" group (then log in again) or run with access to the socket`,
    );
  }
  if (code === 'ECONNREFUSED') {
    return fail('not-running', `connect: connection refused: is dockerd running and listening there?`);
  }
  if (UNTRUSTED_CERTIFICATE.has(code)) {
    return fail(
      'tls',
      `TLS verification: the daemon's certificate is not trusted: ${detail} (${code})${origin}. Give glci the CA that signed it (ca.pem in DOCKER_CERT_PATH, [docker] tls_ca_cert)`,
    );
  }
  if (
    /ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_REQUIRED|CERTIFICATE_UNKNOWN|ACCESS_DENIED|DECRYPT_ERROR)/.test(
      code,
    )
  ) {
    return fail(
      'tls',
      `TLS verification: the daemon refused glci's client certificate (${code})${origin}. The daemon wants a client certificate signed by its CA (cert.pem and key.pem in DOCKER_CERT_PATH, [docker] tls_cert / tls_key)`,
    );
  }
  if (
    code === 'ERR_SSL_WRONG_VERSION_NUMBER' ||
    /wrong version number|packet length too long/i.test(detail)
  ) {
    return fail(
      'tls',
      `TLS verification: the daemon does not speak TLS on this port (${code || detail}): drop DOCKER_TLS_VERIFY / [docker] tls_*, or use the daemon's TLS port`,
    );
  }
  if (/CERT|SSL|TLS|certificate|EPROTO/i.test(`${code} ${detail}`)) {
    return fail('tls', `TLS verification: handshake failed: ${detail}${code ? ` (${code})` : ''}${origin}`);
  }
  if (dockerStatusCode(error) === 400 && /HTTP request to an HTTPS server/i.test(jsonOrMessage(error))) {
    return fail(
      'tls',
      'connect: the daemon expects TLS on this port: set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH, or the [docker] tls_* keys',
    );
  }
  if (UNREACHABLE.has(code)) {
    return fail('unreachable', `connect: cannot reach the host (${code})`);
  }
  if (/socket hang up/i.test(detail) && tls) {
    return fail(
      'tls',
      `TLS verification: the daemon closed the connection during the handshake (${detail})${origin}: it probably refused glci's client certificate`,
    );
  }
  return fail('unreachable', `connect: cannot talk to the Docker daemon: ${detail}`);
}

function jsonOrMessage(error: unknown): string {
  const json = (error as { json?: unknown } | null)?.json;
  if (typeof json === 'string') return json;
  if (Buffer.isBuffer(json)) return json.toString('utf8');
  if (json && typeof json === 'object' && 'message' in json)
    return String((json as { message: unknown }).message);
  return error instanceof Error ? error.message : String(error);
}
