import type { CachedReferrer } from './cache-index.js';
import type { UpstreamRequestError } from './upstream-client.js';
import type { Upstream } from './upstream-set.js';

// Apart from ProxyReferrersStore, which reads the context that holds these lookups in flight.

/** One upstream lookup, shared by concurrent requests; `stale` when a cached list stood in for it. */
export interface ReferrersLookup {
  readonly descriptors: readonly CachedReferrer[];
  readonly stale?: { readonly upstream: Upstream; readonly failure: UpstreamRequestError };
}
