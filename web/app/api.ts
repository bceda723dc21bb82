/** The API from the browser: the signed-in user's token on every call; a 401 signs them out. */

import type { MessageParams } from '../../contract/messages.ts';
import { say } from './texts.ts';

const KEY = 'rcoi.token';

/** A refusal or an error: the server's code and parameters, and its Russian text (texts.ts) as the message. */
export class ApiError extends Error {
  readonly code: string;
  readonly params: MessageParams;
  constructor(
    readonly status: number,
    /** The server's answer as it came: a refusal may say more than its code (an import's row errors). */
    readonly answer: { code?: string; params?: MessageParams },
  ) {
    // An answer without a code (a proxy's page, say) is still told in Russian, by its status.
    const code = answer.code ?? (status >= 500 ? 'internal' : 'bad-request');
    const params = answer.params ?? {};
    super(say({ code, params }));
    this.code = code;
    this.params = params;
  }
}

/** A failure as the user reads it: the server's refusal in Russian, or that the station itself failed. */
export function failure(err: unknown): string {
  return err instanceof ApiError ? err.message : 'Сбой на станции: обновите страницу';
}

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (t: string) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

let onSignedOut = () => {};
export function whenSignedOut(f: () => void): void {
  onSignedOut = f;
}

/**
 * A call with a JSON body (or a multipart FormData, or a Blob with its own type, sent as it is); the response
 * when it succeeded (204 included), an ApiError with the server's code and its Russian text otherwise.
 */
export async function call(method: string, url: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${token.get() ?? ''}` };
  const multipart = body instanceof FormData || body instanceof Blob;
  if (body !== undefined && !multipart) headers['content-type'] = 'application/json';
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : multipart ? body : JSON.stringify(body),
  }).catch(() => {
    throw new ApiError(0, { code: 'network' });
  });
  if (res.ok) return res;
  if (res.status === 401) {
    token.clear();
    onSignedOut();
  }
  const answer = await res
    .json()
    .then((j: { code?: string; params?: MessageParams }) => j)
    .catch(() => ({}));
  throw new ApiError(res.status, answer);
}

export async function json<T>(method: string, url: string, body?: unknown): Promise<T | null> {
  const res = await call(method, url, body);
  return res.status === 204 ? null : ((await res.json()) as T);
}

/** An image (or PDF) the API serves, as an object URL the page can show; revoke it when done. */
export async function blobUrl(url: string, method = 'GET', body?: unknown): Promise<string> {
  return URL.createObjectURL(await (await call(method, url, body)).blob());
}

/** Saves what the API answers as a file, as a browser download. */
export async function download(url: string, filename: string, body?: unknown): Promise<void> {
  const href = await blobUrl(url, body === undefined ? 'GET' : 'POST', body);
  const a = document.createElement('a');
  a.href = href;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}
