import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/**
 * Prometheus metrics of one registry instance, on its own prom-client `Registry` (never the global
 * default one, so two registries in a process do not mix). Served at `/metrics` in the text format.
 *
 * - `glci_registry_http_requests_total{route,method,status}`
 * - `glci_registry_http_received_bytes_total{route}` / `glci_registry_http_sent_bytes_total{route}`
 * - `glci_registry_upload_sessions_total{outcome}` (started, completed, cancelled, failed)
 * - `glci_registry_upload_sessions_in_progress` (sessions this process opened and has not closed)
 * - `glci_registry_http_requests_in_flight`
 * - the process metrics of prom-client's `collectDefaultMetrics` (RSS, event loop lag, ...), prefixed `glci_registry_`
 */
export class RegistryMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<'route' | 'method' | 'status'>;
  readonly #received: Counter<'route'>;
  readonly #sent: Counter<'route'>;
  readonly #sessions: Counter<'outcome'>;
  readonly #sessionsInProgress: Gauge;
  readonly #inFlight: Gauge;
  /** Text appended to `/metrics` by collaborators that keep their own counters (the proxy's). */
  readonly #extraText: Array<() => string> = [];
  /** Label children cached by key: prom-client hashes labels on every `inc` otherwise. */
  readonly #requestChildren = new Map<string, Counter.Internal>();
  readonly #receivedChildren = new Map<string, Counter.Internal>();
  readonly #sentChildren = new Map<string, Counter.Internal>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.#requests = new Counter({
      name: 'glci_registry_http_requests_total',
      help: 'HTTP requests answered, by route, method and status',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.#received = new Counter({
      name: 'glci_registry_http_received_bytes_total',
      help: 'Request body bytes received (blob uploads, manifests), by route',
      labelNames: ['route'],
      registers,
    });
    this.#sent = new Counter({
      name: 'glci_registry_http_sent_bytes_total',
      help: 'Response body bytes sent, by route',
      labelNames: ['route'],
      registers,
    });
    this.#sessions = new Counter({
      name: 'glci_registry_upload_sessions_total',
      help: 'Blob upload sessions by outcome (started, completed, cancelled, failed)',
      labelNames: ['outcome'],
      registers,
    });
    this.#sessionsInProgress = new Gauge({
      name: 'glci_registry_upload_sessions_in_progress',
      help: 'Upload sessions started by this process and not yet completed or cancelled',
      registers,
    });
    this.#inFlight = new Gauge({
      name: 'glci_registry_http_requests_in_flight',
      help: 'HTTP requests being handled',
      registers,
    });
    if (options.defaultMetrics !== false) {
      collectDefaultMetrics({ register: this.registry, prefix: 'glci_registry_' });
    }
  }

  requestStarted(): void {
    this.#inFlight.inc();
  }

  requestFinished(route: string, method: string, status: number, bytesIn: number, bytesOut: number): void {
    this.#inFlight.dec();
    const key = `${route} ${method} ${status}`;
    let child = this.#requestChildren.get(key);
    if (!child) {
      child = this.#requests.labels(route, method, String(status));
      this.#requestChildren.set(key, child);
    }
    child.inc();
    if (bytesIn > 0) cached(this.#receivedChildren, this.#received, route).inc(bytesIn);
    if (bytesOut > 0) cached(this.#sentChildren, this.#sent, route).inc(bytesOut);
  }

  uploadSession(outcome: 'started' | 'completed' | 'cancelled' | 'failed'): void {
    this.#sessions.labels(outcome).inc();
    if (outcome === 'started') this.#sessionsInProgress.inc();
    else this.#sessionsInProgress.dec();
  }

  /**
   * Appends `source()` (Prometheus text, each line ending in a newline) to every `/metrics` answer,
   * for components that count on their own, like the pull-through cache.
   */
  addTextSource(source: () => string): void {
    this.#extraText.push(source);
  }

  /** The whole `/metrics` text: the registry's counters, then every added source. */
  async text(): Promise<string> {
    return `${await this.registry.metrics()}${this.#extraText.map((source) => source()).join('')}`;
  }

  /** The `/metrics` endpoint. */
  async handle(_req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await this.text();
    res.writeHead(200, {
      'Content-Type': this.registry.contentType,
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  }
}

function cached(
  map: Map<string, Counter.Internal>,
  counter: Counter<'route'>,
  route: string,
): Counter.Internal {
  let child = map.get(route);
  if (!child) {
    child = counter.labels(route);
    map.set(route, child);
  }
  return child;
}
