import http from 'node:http';

/** An HTTP answer with its body parsed as JSON when it is JSON. */
export interface JsonResponse {
  status: number;
  body: unknown;
}

/**
 * One HTTP request with a JSON body, on a connection of its own (no keep-alive
 * agent, so nothing stays open once the story ends).
 *
 * @param method - GET, POST, DELETE
 * @param url - the full URL
 * @param options - the Cookie header, a body to send as JSON, a timeout
 * @returns the status and the parsed body
 */
export function requestJson(
  method: string,
  url: string,
  options: { cookie?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<JsonResponse> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = http.request(
      url,
      {
        method,
        agent: false,
        timeout: options.timeoutMs ?? 10_000,
        headers: {
          accept: 'application/json',
          ...(options.cookie ? { cookie: options.cookie } : {}),
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`${method} ${url}: no answer within ${options.timeoutMs ?? 10_000} ms`)),
    );
    req.on('error', reject);
    req.end(payload);
  });
}
