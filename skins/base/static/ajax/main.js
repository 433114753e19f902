// The Ajax interface: wires the panes (folders.js, list.js, reader.js, compose.js) to the JMAP client
// (jmap.js), the keyboard (keys.js), the splitters and menus (layout.js), and the server's push channel.

import { config, t } from "./i18n.js";
import { Jmap, JmapError } from "./jmap.js";
import { FolderPane, label_of } from "./folders.js";
import { FolderAdmin } from "./folder_admin.js";
import { SearchPanel } from "./search.js";
import { SettingsPane } from "./settings.js";
import { SortBar } from "./sort.js";
import { MessageList } from "./list.js";
import { Reader, addresses } from "./reader.js";
import { printMessages } from "./print.js";
import { Composer, quoted } from "./compose.js";
import { bindKeys, showHelp } from "./keys.js";
import { contextMenu, splitters, status } from "./layout.js";
import { ContactsView, bindViews } from "./contacts.js";

const POLL_MS = 60000; // when the browser has no EventSource, or it broke
const THREADS_KEY = "fieldpost.ajax.threads";

const jmap = new Jmap();
const panes = document.querySelector(".ax-panes");
const readerPane = document.querySelector(".ax-reader");
const search = document.getElementById("ax-search");
const threads = document.getElementById("ax-threads");
let emailState = null;

const folders = new FolderPane(document.querySelector(".ax-folders"), jmap, {
  onOpen: (mailbox) => {
    reader.placeholder();
    list.open(mailbox, {
      text: search.value.trim(), threads: threads.checked, criteria: advanced.criteria(), sort: sorter.sort(),
    }).catch(failed);
  },
  onDropEmails: (ids, mailbox) => move(ids, mailbox),
});
new FolderAdmin(folders, jmap, { notify: status });
const sorter = new SortBar(document.querySelector(".ax-list"), {
  onChange: () => { if (folders.current) folders.open(folders.current); },
});
const advanced = new SearchPanel(document.querySelector(".ax-search"), {
  onSearch: () => { if (folders.current) folders.open(folders.current); },
});
const list = new MessageList(document.querySelector(".ax-rows"), jmap, {
  onOpen: (id) => {
    if (composer.open) return;
    if (folders.current && folders.current === folders.byRole("drafts")?.id) { // as Standard: write on
      resumeDraft(id).catch(failed);
      return;
    }
    reader.show(id, { conversation: threads.checked }).catch(failed);
  },
  onMenu: (event, ids, options) => menu(event, ids, options),
});
const reader = new Reader(readerPane, jmap, {
  onAction: (action, email, button) => act(action, email, button),
  allows: (email, action) => allowed([email.id], action, email),
  onRead: (id) => { if (list.seen(id)) folders.refresh().catch(failed); },
  notify: status,
});
const composer = new Composer(readerPane, jmap, folders, {
  onClose: () => reader.placeholder(),
  notify: status,
});
const settings = new SettingsPane(readerPane, jmap, { onClose: () => reader.placeholder(), notify: status });

const contacts = new ContactsView(document.querySelector(".ax-contacts"), jmap, {
  onWrite: (to) => { views.select("mail"); composer.start({ to }); },
  notify: status,
});
const views = bindViews(() => contacts.show().catch(failed));

function failed(error) {
  status(t("failed", { reason: error instanceof JmapError ? error.message : String(error) }));
}

async function move(ids, mailbox) {
  if (!ids.length) return;
  const update = Object.fromEntries(ids.map((id) => [id, { mailboxIds: { [mailbox.id]: true } }]));
  try {
    const answer = await jmap.call("Email/set", { update });
    const refused = Object.values(answer.notUpdated || {})[0];
    if (refused) throw new JmapError(refused.type, refused.description);
    status(t("moved", { count: ids.length, folder: label_of(mailbox) }));
    reader.placeholder();
    list.selected.clear();
    await Promise.all([list.refresh(ids), folders.refresh()]);
  } catch (error) {
    failed(error);
  }
}

// A copy in another folder (as the Standard list's Copy): each message's blob imported there, with its
// keywords and arrival time (an Email is in one Mailbox here, so mailboxIds cannot just grow).
async function copy(ids, mailbox) {
  try {
    const got = await jmap.call("Email/get", { ids, properties: ["blobId", "keywords", "receivedAt"] });
    const emails = Object.fromEntries(got.list.map((e, i) => [`c${i}`, {
      blobId: e.blobId, mailboxIds: { [mailbox.id]: true }, keywords: e.keywords, receivedAt: e.receivedAt,
    }]));
    const answer = await jmap.call("Email/import", { emails });
    const refused = Object.values(answer.notCreated || {})[0];
    if (refused) throw new JmapError(refused.type, refused.description);
    status(t("copied", { count: got.list.length, folder: label_of(mailbox) }));
    await folders.refresh();
  } catch (error) {
    failed(error);
  }
}

async function remove(ids) {
  const trash = folders.byRole("trash");
  if (!ids.length) return;
  if (trash && folders.current !== trash.id) return move(ids, trash);
  try {
    await jmap.call("Email/set", { destroy: ids });
    reader.placeholder();
    list.selected.clear();
    await Promise.all([list.refresh(ids), folders.refresh()]);
  } catch (error) {
    failed(error);
  }
}

async function setKeyword(ids, keyword, on) {
  const update = Object.fromEntries(ids.map((id) => [id, { [`keywords/${keyword}`]: on ? true : null }]));
  try {
    const answer = await jmap.call("Email/set", { update });
    const refused = Object.values(answer.notUpdated || {})[0];
    if (refused) throw new JmapError(refused.type, refused.description);
    reader.keywordsChanged(ids, keyword, on);
    await Promise.all([list.refresh(ids), folders.refresh()]);
  } catch (error) {
    failed(error);
  }
}

// What the u / s / v keys act on: the selected messages, else the one in the reader.
function chosen() {
  if (list.selected.size) return [...list.selected];
  return reader.email ? [reader.email.id] : [];
}

function keywordsOf(id) {
  return (reader.email?.id === id ? reader.email.keywords : null) ?? list.emails.get(id)?.keywords ?? {};
}

// u and s toggle as the first chosen message stands: read ones become unread, and back.
function toggleKeyword(keyword, action) {
  const ids = chosen();
  if (ids.length && permitted(ids, action)) setKeyword(ids, keyword, !keywordsOf(ids[0])[keyword]);
}

// Whether the folder rights (the Mailbox's myRights) of every message in ids allow ``right``: the menu
// and the reader's toolbar leave out what the server would refuse, as Standard's pages do. A message's
// folder is the one its Email says (a search across folders), else the folder open.
function may(ids, right, known = null) {
  return ids.every((id) => {
    const email = known?.id === id ? known : list.emails.get(id);
    const boxIds = Object.keys(email?.mailboxIds || {});
    const boxes = (boxIds.length ? boxIds : [folders.current]).map((boxId) => folders.mailboxes.get(boxId));
    return boxes.every((box) => box?.myRights?.[right] !== false);
  });
}

// What each message action asks of its folder's rights, and what a key says when they refuse it. The
// menu, the reader's toolbar and the keys all ask allowed(), so they offer and refuse the same things.
const NEEDS = {
  unread: ["maySetSeen", "refused_seen"],
  flag: ["maySetKeywords", "refused_flag"],
  move: ["mayRemoveItems", "refused_remove"],
  delete: ["mayRemoveItems", "refused_remove"],
};

function allowed(ids, action, known = null) {
  const needs = NEEDS[action];
  return !needs || may(ids, needs[0], known);
}

// A key cannot be left out as a menu entry is: where the rights refuse its action nothing is sent (the
// server would only refuse it) and the status line says why.
function permitted(ids, action) {
  if (allowed(ids, action)) return true;
  status(t(NEEDS[action][1]));
  return false;
}

function menu(event, ids, options = {}) {
  const boxes = [...folders.mailboxes.values()]
    .filter((box) => box.id !== folders.current && box.myRights?.mayAddItems !== false)
    .sort((a, b) => label_of(a).localeCompare(label_of(b)));
  const targets = boxes.map((box) => [label_of(box), () => move(ids, box)]);
  const seen = allowed(ids, "unread");
  const keywords = allowed(ids, "flag");
  const items = [
    seen && ["mark_read", () => setKeyword(ids, "$seen", true)],
    seen && ["mark_unread", () => setKeyword(ids, "$seen", false)],
    keywords && ["flag", () => setKeyword(ids, "$flagged", true)],
    keywords && ["unflag", () => setKeyword(ids, "$flagged", false)],
    allowed(ids, "move") && ["move_to", targets],
    ["copy_to", boxes.map((box) => [label_of(box), () => copy(ids, box)])],
    allowed(ids, "delete") && ["delete", () => remove(ids)],
    ["print", () => printMessages(ids, status)],
  ].filter(Boolean);
  if (ids.length === 1) {
    items.unshift(["reply", () => act("reply", { id: ids[0] })], ["forward", () => act("forward", { id: ids[0] })],
      ["forward_attached", () => act("forwardAttached", { id: ids[0] })]);
  }
  contextMenu(event, items, options);
}

// "Move to…" (the v key, the reader's button): the message menu opened on its folder list.
function moveMenu(ids, anchor) {
  if (!ids.length) return;
  if (!anchor && list.selected.size) {
    list.menuAtCursor("move_to");
    return;
  }
  const box = (anchor || readerPane).getBoundingClientRect();
  menu({ clientX: box.left, clientY: box.bottom }, ids, { focus: "move_to", returnTo: anchor || list.root });
}

// Reply, reply to all, forward: the original's text quoted as text, its ids for the thread headers.
async function act(action, email, button = null) {
  if (!email) return;
  if (action === "delete") return remove([email.id]);
  if (action === "unread") return setKeyword([email.id], "$seen", !email.keywords?.$seen);
  if (action === "flag") return setKeyword([email.id], "$flagged", !email.keywords?.$flagged);
  if (action === "move") return moveMenu([email.id], button);
  const answer = await jmap.call("Email/get", {
    ids: [email.id],
    properties: ["id", "blobId", "size", "from", "to", "cc", "replyTo", "subject", "sentAt", "receivedAt",
      "messageId", "references", "textBody", "bodyValues", "attachments", "header:Delivered-To:asAddresses:all"],
    fetchTextBodyValues: true,
  });
  const original = answer.list[0];
  if (!original) return;
  const text = (original.textBody || []).map((part) => original.bodyValues?.[part.partId]?.value ?? "")
    .join("\n");
  const subject = original.subject || "";
  // the addresses it was sent to, in the Standard composer's order: the reply's identity is among them
  const sentTo = [...(original.to || []), ...(original.cc || []),
    ...(original["header:Delivered-To:asAddresses:all"] || []).flat()].map((a) => a.email);
  if (action === "forward" || action === "forwardAttached") {
    composer.start({ subject: /^fwd?:/i.test(subject) ? subject : `Fwd: ${subject}`,
      quote: quoted(original, text, "forward"), attachments: original.attachments || [], sentTo,
      forwardOf: { blobId: original.blobId, type: "message/rfc822", name: `${subject || "message"}.eml`,
        size: original.size },
      asAttachment: action === "forwardAttached",
      answering: { id: original.id, keyword: "$forwarded" } });
    return;
  }
  // every address of the user's is left out, and none listed twice; a reply to one's own message goes
  // to its recipients (as Standard: mailflow/replies.py). A mailbox the user sends on behalf of is
  // not the user's own: its owner's mail is answered to the owner.
  const mine = new Set([config.address.toLowerCase()]);
  const identities = await jmap.call("Identity/get", { ids: null }).catch(() => ({ list: [] }));
  for (const identity of identities.list) {
    if (!identity["fieldpost:sender"]) mine.add(identity.email.toLowerCase());
  }
  const fromMe = (original.from || []).some((a) => mine.has(a.email.toLowerCase()));
  const first = fromMe ? original.to || [] : original.replyTo?.length ? original.replyTo : original.from || [];
  const seen = new Set(mine);
  const pick = (list) => list.filter((a) => {
    const key = a.email.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const replyTo = pick(first);
  const others = action === "replyAll" ? pick([...(original.to || []), ...(original.cc || [])]) : [];
  const to = addresses(replyTo);
  composer.start({
    to,
    cc: addresses(others),
    subject: /^re:/i.test(subject) ? subject : `Re: ${subject}`,
    quote: quoted(original, text, "reply"),
    sentTo,
    answering: { id: original.id, keyword: "$answered" },
    inReplyTo: {
      messageId: original.messageId,
      references: [...(original.references || []), ...(original.messageId || [])],
    },
  });
}

// A draft opened from Drafts goes back into the composer (its HTML through the server's sanitiser);
// saving replaces it, as saving a new one does.
async function resumeDraft(id) {
  const answer = await jmap.call("Email/get", {
    ids: [id],
    properties: ["id", "from", "sender", "to", "cc", "bcc", "subject", "inReplyTo", "references", "htmlBody",
      "textBody", "bodyValues", "attachments", "header:Disposition-Notification-To", "header:Importance:asText",
      "header:X-Fieldpost-Draft-To:asText", "header:X-Fieldpost-Draft-Cc:asText", "header:X-Fieldpost-Draft-Bcc:asText"],
    fetchHTMLBodyValues: true,
    fetchTextBodyValues: true,
  });
  const draft = answer.list[0];
  if (!draft) return;
  const value = (parts) => (parts || []).map((part) => draft.bodyValues?.[part.partId]?.value ?? "").join("");
  // without an HTML part, htmlBody names the text part (RFC 8621 4.1.4): the draft is plain text
  const html = (draft.htmlBody || []).some((part) => part.type === "text/html") ? value(draft.htmlBody) : "";
  // the draft's identity, receipt and priority come back as the Standard composer's do
  const kept = {
    from: draft.from?.[0]?.email ?? null,
    sender: draft.sender?.[0]?.email ?? null,
    receipt: draft["header:Disposition-Notification-To"] != null,
    priority: (draft["header:Importance:asText"] || "normal").trim().toLowerCase(),
  };
  // recipients typed but not addresses yet come back after the addresses (kept as the Standard one keeps them)
  const field = (list, name) => [addresses(list), draft[`header:X-Fieldpost-Draft-${name}:asText`]]
    .filter(Boolean).join(", ");
  const start = {
    to: field(draft.to, "To"),
    cc: field(draft.cc, "Cc"),
    bcc: field(draft.bcc, "Bcc"),
    subject: draft.subject || "",
    attachments: draft.attachments || [],
    draftId: draft.id,
    inReplyTo: draft.inReplyTo ? { messageId: draft.inReplyTo, references: draft.references || [] } : null,
    ...kept,
  };
  if (!html) { // a plain-text draft stays plain text
    composer.start({ ...start, text: value(draft.textBody).replace(/\n$/, "") });
    return;
  }
  const response = await fetch(config.clean, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": config.csrf },
    body: JSON.stringify({ html }),
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  composer.start({ ...start, body: (await response.json()).html });
}

// A pushed change (or a poll): folders and list brought up to date, new mail announced.
async function changed(types = { Email: true, Mailbox: true }) {
  const news = types.Email ? await newEmails() : [];
  await Promise.all([
    types.Mailbox || types.Email ? folders.refresh() : null,
    types.Email ? list.refresh(news.updated) : null,
  ]);
  announce(news.created || []);
}

async function newEmails() {
  if (!emailState) return {};
  try {
    const changes = await jmap.call("Email/changes", { sinceState: emailState, maxChanges: 500 });
    emailState = changes.newState;
    let created = [];
    if (changes.created.length) {
      const inbox = folders.byRole("inbox");
      const answer = await jmap.call("Email/get", {
        ids: changes.created.slice(0, 20),
        properties: ["id", "from", "subject", "mailboxIds", "keywords"],
      });
      created = answer.list.filter((e) => inbox && e.mailboxIds[inbox.id] && !e.keywords.$seen);
    }
    return { created, updated: [...changes.updated, ...changes.destroyed] };
  } catch (_) {
    const answer = await jmap.call("Email/get", { ids: [] });
    emailState = answer.state;
    return {};
  }
}

function announce(emails) {
  if (!emails.length) return;
  const first = emails[0];
  const text = t("new_mail_from", { from: addresses(first.from), subject: first.subject || t("no_subject") });
  status(text);
  if (window.Notification && Notification.permission === "granted" && document.hidden) {
    new Notification(t("new_mail"), { body: text, tag: "fieldpost-new-mail" });
  }
}

function notificationButton() {
  if (!window.Notification || Notification.permission !== "default") return;
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = t("notify_on");
  button.addEventListener("click", async () => {
    await Notification.requestPermission();
    button.remove();
  });
  document.querySelector(".ax-links").prepend(button);
}

function settingsButton() {
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = t("settings");
  button.addEventListener("click", () => {
    if (composer.open) composer.close(); // the draft stays in Drafts
    views.select("mail"); // the settings show in the reader's pane
    settings.show().catch(failed);
  });
  document.querySelector(".ax-links").prepend(button);
}

function current() {
  return list.ids[list.cursor] ? { id: list.ids[list.cursor] } : null;
}

function bindPage() {
  splitters(panes);
  threads.checked = localStorage.getItem(THREADS_KEY) === "1";
  threads.addEventListener("change", () => {
    localStorage.setItem(THREADS_KEY, threads.checked ? "1" : "0");
    if (folders.current) folders.open(folders.current);
  });
  document.querySelector(".ax-search").addEventListener("submit", (event) => {
    event.preventDefault();
    if (folders.current) folders.open(folders.current);
  });
  document.querySelector("[data-action=compose]").addEventListener("click", () => {
    views.select("mail");
    composer.start();
  });
  document.querySelector("[data-action=help]").addEventListener("click", showHelp);
  bindKeys({
    next: () => list.move(1),
    previous: () => list.move(-1),
    open: () => list.cursor >= 0 && list.activate(list.cursor),
    reply: () => act("reply", reader.email || current()),
    replyAll: () => act("replyAll", reader.email || current()),
    forward: () => act("forward", reader.email || current()),
    delete: () => { const ids = chosen(); if (permitted(ids, "delete")) remove(ids); },
    extendNext: () => list.extend(1),
    extendPrevious: () => list.extend(-1),
    toggle: () => list.toggleCursor(),
    unread: () => toggleKeyword("$seen", "unread"),
    flag: () => toggleKeyword("$flagged", "flag"),
    move: () => { const ids = chosen(); if (permitted(ids, "move")) moveMenu(ids); },
    menu: () => { if (list.root.offsetParent) list.menuAtCursor(); }, // not on another view's page
    compose: () => { views.select("mail"); composer.start(); },
    search: () => search.focus(),
    help: showHelp,
    escape: () => { if (composer.open) composer.close(); },
  });
  notificationButton();
  settingsButton();
}

async function start() {
  bindPage();
  try {
    await jmap.connect();
    await folders.load();
  } catch (error) {
    const note = document.createElement("p");
    note.className = "ax-placeholder ax-error";
    note.setAttribute("role", "alert");
    note.textContent = t("no_jmap");
    document.querySelector(".ax-folders").replaceChildren(note);
    console.error(error);
    return;
  }
  const inbox = folders.byRole("inbox") || folders.mailboxes.values().next().value;
  if (inbox) folders.open(inbox.id);
  if (document.activeElement === document.body) list.root.focus(); // not away from what the user began
  emailState = (await jmap.call("Email/get", { ids: [] }).catch(failed))?.state ?? null;
  let polling = null;
  const poll = () => { polling ??= setInterval(() => changed().catch(failed), POLL_MS); };
  // EventSource reconnects by itself after a network error; a refused or broken stream stays closed
  const source = jmap.listen((types) => {
    window.dispatchEvent(new CustomEvent("ax-push", { detail: types })); // the other views (notes.js, tasks.js)
    changed(types).catch(failed);
    if (types.ContactCard || types.AddressBook) contacts.changed(types).catch(failed);
  }, () => {
    if (source?.readyState === EventSource.CLOSED) poll();
  });
  if (!source) poll();
}

start();
