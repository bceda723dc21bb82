/** The API from the browser: the signed-in user's token on every call; a 401 signs them out. */

const KEY = 'rcoi.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
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
 * when it succeeded (204 included), an ApiError with the server's reason otherwise.
 */
export async function call(method: string, url: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${token.get() ?? ''}` };
  const multipart = body instanceof FormData || body instanceof Blob;
  if (body !== undefined && !multipart) headers['content-type'] = 'application/json';
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : multipart ? body : JSON.stringify(body),
  });
  if (res.ok) return res;
  if (res.status === 401) {
    token.clear();
    onSignedOut();
  }
  const reason = await res
    .json()
    .then((j: { error?: string }) => j.error)
    .catch(() => undefined);
  throw new ApiError(res.status, reason ?? `${res.status} ${res.statusText}`);
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
