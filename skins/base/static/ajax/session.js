// An ended session (signed out in another tab, idle or too old, password changed: webmail/sessions.py)
// shows a notice with a link to sign in again, which brings the user back to /ajax/ (the login route's
// ``next``). The JMAP API answers such a request 401; the interface's JSON routes (/ajax/read...) are
// ordinary pages and send it to the sign-in page instead, which fetch() follows silently. One wrapper
// round fetch() sees both, whichever module asked, so no caller has to tell the user itself; the
// push channel (jmap.js listen) cannot see a status and asks here after it closes.

import { config, t } from "./i18n.js";

let watching = false;

// Whether ``response`` says the session is gone: a 401, or a request that ended on the sign-in page.
export function signedOut(response) {
  if (response.status === 401) return true;
  if (!response.redirected) return false;
  const loginPath = new URL(config.login, window.location.href).pathname;
  return new URL(response.url).pathname === loginPath;
}

// Wrap window.fetch once: every same-origin answer is checked for an ended session.
export function watchSession() {
  if (watching) return;
  watching = true;
  const original = window.fetch.bind(window);
  window.fetch = async (...args) => {
    const response = await original(...args);
    if (signedOut(response) && new URL(response.url).origin === window.location.origin) sessionEnded();
    return response;
  };
}

// After the push channel closed: is the session still there? (The answer goes through the wrapper.)
export async function checkSession() {
  try {
    await window.fetch(config.session, { credentials: "same-origin", headers: { Accept: "application/json" } });
  } catch (_) { /* the server is away, which is not an ended session */ }
}

// The notice, once, above everything; the page stays as it is behind it (nothing typed is thrown away
// by this page, but nothing can be saved before signing in again).
export function sessionEnded() {
  if (document.querySelector(".ax-signed-out")) return;
  const notice = document.createElement("div");
  notice.className = "ax-signed-out";
  notice.setAttribute("role", "alert");
  const link = document.createElement("a");
  link.href = config.login;
  link.textContent = t("sign_in_again");
  notice.append(`${t("session_ended")} `, link);
  document.body.append(notice);
}
