// Who is signed in. The bearer token lives in sessionStorage only (gone with the tab), never in a URL or
// localStorage. Locally it comes from the development sign-in; deployed, from Microsoft Entra ID (entra.js).
const key = 'ecoflows.session';
let message = null;

function claims(token) {
  const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  return JSON.parse(decodeURIComponent(escape(atob(payload))));
}

/** The current session { token, user, org, roles, exp } or null when absent or expired. */
export function session() {
  const raw = sessionStorage.getItem(key);
  if (!raw) return null;
  const current = JSON.parse(raw);
  if (current.exp * 1000 <= Date.now()) {
    sessionStorage.removeItem(key);
    message = 'Your session expired: sign in again.';
    return null;
  }
  return current;
}

/** Keeps a token and what it says about the user. */
export function keep(token) {
  const c = claims(token);
  const roles = Array.isArray(c.roles) ? c.roles : c.roles ? [c.roles] : [];
  sessionStorage.setItem(key, JSON.stringify({ token, user: c.sub ?? c.preferred_username ?? c.oid, org: c.org ?? null, roles, exp: c.exp }));
}

/** True when the signed-in user has the role. */
export function hasRole(role) {
  return session()?.roles.includes(role) ?? false;
}

/** Forgets the token. */
export function clearSession() {
  sessionStorage.removeItem(key);
}

/** Ends the session; the sign-in page shows `reason`. */
export function signOut(reason) {
  clearSession();
  message = reason ?? null;
  location.hash = '#/sign-in';
}

/** The message for the sign-in page (once). */
export function takeSignInMessage() {
  const m = message;
  message = null;
  return m;
}
