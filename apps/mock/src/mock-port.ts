// Apart from healthcheck.ts, which loads settings.ts lazily while settings.ts needs this port too.

/** The mock's well-known port (`mock_server_port`). */
export const DEFAULT_MOCK_PORT = 39741;
