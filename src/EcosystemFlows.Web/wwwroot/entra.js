// The Microsoft Entra ID sign-in (authorization code + PKCE) with MSAL, loaded only where config.json names Entra ID.
// MSAL keeps its own cache in sessionStorage (gone with the tab); the API's access token is kept as auth.js keeps the
// development token. Entra ID answers on redirect.html, whose redirect bridge hands the answer back to this page.
import { keep } from './auth.js';

let client = null;

function loadMsal() {
  if (window.msal) return Promise.resolve(window.msal);
  return new Promise((resolve, reject) => {
    const script = Object.assign(document.createElement('script'), { src: '/app/msal-browser.min.js' });
    script.onload = () => resolve(window.msal);
    script.onerror = () => reject(new Error('The sign-in library could not be loaded.'));
    document.head.append(script);
  });
}

async function msalClient(config) {
  if (!client) {
    const msal = await loadMsal();
    const pca = new msal.PublicClientApplication({
      auth: {
        clientId: config.clientId,
        authority: config.authority,
        redirectUri: new URL('/app/redirect.html', location.origin).href,
        postLogoutRedirectUri: new URL('/app/', location.origin).href,
      },
      cache: { cacheLocation: 'sessionStorage' },
    });
    await pca.initialize();
    client = { msal, pca };
  }
  return client;
}

/**
 * Completes a sign-in Entra ID has just answered, or renews the API token of an account MSAL already holds, without
 * asking the user. True when a token for the API was kept; false when the user has to sign in.
 */
export async function signInSilently(config) {
  const { msal, pca } = await msalClient(config);
  const answer = await pca.handleRedirectPromise();
  const account = answer?.account ?? pca.getActiveAccount() ?? pca.getAllAccounts()[0];
  if (!account) return false;
  pca.setActiveAccount(account);
  if (answer?.accessToken) {
    keep(answer.accessToken);
    return true;
  }
  try {
    keep((await pca.acquireTokenSilent({ scopes: [config.apiScope], account })).accessToken);
    return true;
  } catch (error) {
    if (error instanceof msal.InteractionRequiredAuthError) return false;
    throw error;
  }
}

/** Sends the user to Entra ID to sign in; they come back through redirect.html. */
export async function signIn(config) {
  const { pca } = await msalClient(config);
  await pca.loginRedirect({ scopes: [config.apiScope] });
}

/** Signs out at Entra ID too (MSAL clears its cache first), so the next visit does not sign in silently. */
export async function signOut(config) {
  const { pca } = await msalClient(config);
  await pca.logoutRedirect({ account: pca.getActiveAccount() });
}
