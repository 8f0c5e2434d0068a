import { readFileSync } from 'node:fs';

/**
 * Where scripts/services.sh installs scripts/images/runc-bounded on this machine, and where the
 * remote-host image (scripts/build-remote-host-images.sh) has it: the same path in both.
 */
export const BOUNDED_RUNC = '/usr/local/libexec/glci/runc-bounded';

/**
 * Whether this machine's bounding set lacks a capability Docker grants privileged containers
 * (bits 0-40; these CI VMs lack CAP_SYS_RESOURCE), as scripts/services.sh checks. Then every
 * engine on it (dockerd, Podman, a dockerd nested in a container) must start containers through
 * runc-bounded, or runc refuses privileged ones: "unable to apply caps: operation not permitted".
 */
export function capabilitiesWithheld(): boolean {
  const status = readFileSync('/proc/self/status', 'utf8');
  const mask = BigInt(`0x${/^CapBnd:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? '0'}`);
  return (mask & 0x1ffffffffffn) !== 0x1ffffffffffn;
}
