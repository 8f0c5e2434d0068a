import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  /** The S3 operation guessed from method and query (enough for the tests' rules). */
  readonly operation: string;
  readonly headers: IncomingMessage['headers'];
}

/** Answers a request instead of the server: a status and an S3 error code. */
export interface Fault {
  readonly status: number;
  readonly code: string;
}

export interface FaultProxy extends AsyncDisposable {
  readonly endpoint: string;
  readonly requests: RecordedRequest[];
  /** Decides per request whether to fail it; `undefined` passes it through. */
  rule: ((request: RecordedRequest) => Fault | undefined) | undefined;
  close(): Promise<void>;
}

/**
 * A loopback HTTP proxy in front of a real S3 server that can answer chosen requests with an S3
 * error (503 SlowDown, 500 InternalError) instead of forwarding them. Real S3 servers cannot be
 * made to throttle or fail on cue, so this is the one place the driver's tests inject faults;
 * everything else reaches the real server. The Host header is kept, so SigV4 signatures verify.
 */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const requests: RecordedRequest[] = [];
  const proxy: FaultProxy = {
    endpoint: '',
    requests,
    rule: undefined,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    [Symbol.asyncDispose]: () => proxy.close(),
  };
  const server: Server = createServer((incoming, outgoing) => {
    const recorded: RecordedRequest = {
      method: incoming.method ?? 'GET',
      url: incoming.url ?? '/',
      operation: operationOf(incoming.method ?? 'GET', incoming.url ?? '/', incoming.headers),
      headers: incoming.headers,
    };
    requests.push(recorded);
    const fault = proxy.rule?.(recorded);
    if (fault) {
      incoming.resume();
      incoming.on('end', () => {
        outgoing.writeHead(fault.status, { 'content-type': 'application/xml' });
        outgoing.end(
          `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${fault.code}</Code><Message>injected by the test</Message></Error>`,
        );
      });
      return;
    }
    const forwarded = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    forwarded.on('error', () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (proxy as { endpoint: string }).endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}

function operationOf(method: string, url: string, headers: IncomingMessage['headers']): string {
  const query = new URL(url, 'http://x').searchParams;
  if (method === 'PUT' && query.has('partNumber')) {
    return headers['x-amz-copy-source'] ? 'UploadPartCopy' : 'UploadPart';
  }
  if (method === 'POST' && query.has('uploads')) return 'CreateMultipartUpload';
  if (method === 'POST' && query.has('uploadId')) return 'CompleteMultipartUpload';
  if (method === 'POST' && query.has('delete')) return 'DeleteObjects';
  if (method === 'DELETE' && query.has('uploadId')) return 'AbortMultipartUpload';
  if (method === 'PUT') return headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject';
  if (method === 'GET' && query.has('uploads')) return 'ListMultipartUploads';
  if (method === 'GET' && query.has('list-type')) return 'ListObjectsV2';
  if (method === 'GET') return 'GetObject';
  if (method === 'HEAD') return 'HeadObject';
  if (method === 'DELETE') return 'DeleteObject';
  return method;
}
