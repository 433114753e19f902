// A small JMAP client (RFC 8620): the session resource, batched method calls, upload, and the
// EventSource push channel. Everything the interface knows of mail comes through here.
//
// The browser is signed in by the WebMail session cookie; every POST carries the page's CSRF token in
// the X-CSRFToken header, which the server checks on each write (webmail/security.py).

import { config } from "./i18n.js";
import { checkSession, watchSession } from "./session.js";

export const CORE = "urn:ietf:params:jmap:core";
export const MAIL = "urn:ietf:params:jmap:mail";
export const SUBMISSION = "urn:ietf:params:jmap:submission";
export const VACATION = "urn:ietf:params:jmap:vacationresponse";

export class JmapError extends Error {
  constructor(type, description) {
    super(description ? `${type}: ${description}` : type);
    this.type = type;
  }
}

export class Jmap {
  constructor() {
    this.session = null;
    this.accountId = null;
    this.using = [CORE, MAIL, SUBMISSION, VACATION];
    watchSession(); // an ended session shows its sign-in notice, whichever request finds it (session.js)
  }

  async connect() {
    const response = await fetch(config.session, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) throw new JmapError("sessionUnavailable", `HTTP ${response.status}`);
    this.session = await response.json();
    this.accountId = this.session.primaryAccounts?.[MAIL] ?? Object.keys(this.session.accounts)[0];
    return this.session;
  }

  headers(extra = {}) {
    return { "X-CSRFToken": config.csrf, Accept: "application/json", ...extra };
  }

  // Send method calls ([name, args, callId]) in one request; accountId is filled in when missing.
  // Returns the methodResponses; an "error" response stays in the list for the caller to read.
  async request(calls) {
    const methodCalls = calls.map(([name, args, id], i) => [
      name,
      { accountId: this.accountId, ...args },
      id ?? `c${i}`,
    ]);
    const response = await fetch(this.session.apiUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: this.headers({ "Content-Type": "application/json" }),
      body: JSON.stringify({ using: this.using, methodCalls }),
    });
    if (!response.ok) {
      let detail = `HTTP ${response.status}`;
      try {
        const problem = await response.json();
        detail = problem.detail || problem.type || detail;
      } catch (_) { /* not JSON */ }
      throw new JmapError("requestFailed", detail);
    }
    const answer = await response.json();
    return answer.methodResponses;
  }

  // One method call; its response arguments, or a JmapError for an "error" response.
  async call(name, args = {}) {
    const [[kind, result]] = await this.request([[name, args, "c0"]]);
    if (kind === "error") throw new JmapError(result.type, result.description);
    return result;
  }

  // Several calls, each response's arguments by callId; the first error is thrown.
  async batch(calls) {
    const found = {};
    for (const [kind, result, id] of await this.request(calls)) {
      if (kind === "error") throw new JmapError(result.type, result.description);
      found[id] = found[id] ? [].concat(found[id], result) : result;
    }
    return found;
  }

  // RFC 8620 6.1: upload a file, answering {blobId, type, size}.
  async upload(file) {
    const url = this.session.uploadUrl.replace("{accountId}", encodeURIComponent(this.accountId));
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: this.headers({ "Content-Type": file.type || "application/octet-stream" }),
      body: file,
    });
    if (!response.ok) throw new JmapError("uploadFailed", `HTTP ${response.status}`);
    return response.json();
  }

  // RFC 8620 7.3: a push channel; onChange gets the StateChange's "changed" map of this account.
  listen(onChange, onTrouble) {
    const template = this.session.eventSourceUrl;
    if (!template || !window.EventSource) return null;
    const url = template
      .replace("{types}", "*")
      .replace("{closeafter}", "no")
      .replace("{ping}", "30");
    const source = new EventSource(url, { withCredentials: true });
    source.addEventListener("state", (event) => {
      try {
        const change = JSON.parse(event.data);
        const mine = change.changed?.[this.accountId];
        if (mine) onChange(mine);
      } catch (_) { /* a malformed event is ignored */ }
    });
    source.addEventListener("error", () => {
      // a refused reconnection (401) closes the stream for good, where a server away keeps retrying
      if (source.readyState === EventSource.CLOSED) checkSession();
      onTrouble?.();
    });
    return source;
  }
}

// (folder id, UID) of one of our Email ids ("e<folder>_<uid>", webmail/jmap/ids.py), for the reader's
// routes that share the Standard interface's sanitiser.
export function folderAndUid(emailId) {
  const found = /^e(\d+)_(\d+)$/.exec(emailId);
  return found ? [found[1], found[2]] : null;
}
