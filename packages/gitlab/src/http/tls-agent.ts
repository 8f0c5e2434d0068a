import type https from 'node:https';

/**
 * An HTTPS agent that trusts the system's CAs plus `extraCa` (an instance's private CA), with one
 * secure context and connections kept alive. Passing `[...rootCertificates, ca]` as a request
 * option instead makes Node parse the ~140 system certificates into a new context for every
 * connection (100-150 ms each on these machines), more than the requests themselves cost when
 * planning from a warm cache; a default context already holds the system's store, and the
 * instance's CA is added to it. `node:https` and `node:tls` load here, on the first request: a plan
 * from a warm cache makes none, and loading them cost a warm `glci show` 25-30 ms.
 */
export async function trustingAgent(extraCa: string): Promise<https.Agent> {
  const [{ Agent }, { createSecureContext }] = await Promise.all([import('node:https'), import('node:tls')]);
  const secureContext = createSecureContext();
  secureContext.context.addCACert(extraCa);
  return new Agent({ keepAlive: true, secureContext });
}
