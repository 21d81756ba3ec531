// The HTTP API client: every request carries the signed-in user's bearer token in its header (never in a URL).
import { session, signOut } from './auth.js';

/** An answer that is not 2xx, with its RFC 9457 problem when there is one. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/**
 * Calls the API. Returns the parsed JSON body (or null), or { body, headers } with `withHeaders`, or the Blob with
 * `blob`. Throws ApiError for any non-2xx answer; a 401 ends the session.
 */
export async function api(path, { method = 'GET', body, headers = {}, withHeaders = false, blob = false } = {}) {
  const current = session();
  const init = { method, headers: { Accept: 'application/json', ...headers } };
  if (current) init.headers.Authorization = `Bearer ${current.token}`;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 401 && current) {
    signOut('Your session ended: sign in again.');
    throw new ApiError(401, { title: 'Signed out' });
  }
  if (!response.ok) {
    const type = response.headers.get('Content-Type') ?? '';
    throw new ApiError(response.status, type.includes('json') ? await response.json() : { title: `HTTP ${response.status}` });
  }
  if (blob) return response.blob();
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : null;
  return withHeaders ? { body: parsed, headers: response.headers } : parsed;
}

/** Downloads an API resource as a file through a short-lived object URL (the token stays in the request header). */
export async function download(path, name) {
  const blob = await api(path, { blob: true, headers: { Accept: '*/*' } });
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
