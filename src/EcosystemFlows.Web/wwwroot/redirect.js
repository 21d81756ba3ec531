// Entra ID answers the sign-in here (the redirect URI of the app registration): MSAL's redirect bridge hands the answer to
// the page that asked for it, in this tab (a redirect sign-in) or in the frame or popup MSAL opened (a silent renewal).
msalRedirectBridge.broadcastResponseToMainFrame().catch(error => {
  document.body.textContent = `The sign-in answer could not be handed to the app: ${error.message}`;
});
