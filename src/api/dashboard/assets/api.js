// The dashboard's calls to billhook's JSON API, made through /dashboard/api/ with the session cookie
// and, for anything that changes state, the session's CSRF token.
const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (method !== 'GET') headers['x-csrf-token'] = csrf;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`api${path}`, {
    method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json().catch(() => null);
  if (response.status === 401) {
    // The session ended (signed out elsewhere, expired, server restarted): back to the sign-in page.
    window.location.reload();
  }
  if (!response.ok) throw new ApiError(response.status, json);
  return json;
}
