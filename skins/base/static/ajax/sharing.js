// The sharing dialog: who a folder (mail, calendar, address book, task list, notebook, journal) or the
// whole mailbox is shared with, as the Standard interface's permissions page shows it and with the same
// actions: grant a role or custom letters to a user, a group, every user of the domain or anyone, allow
// or deny, applied to subfolders or not; change or remove an entry; set an exception on a subfolder for
// an entry passed down from above; and, on the whole mailbox, delegation (send as, send on behalf, read
// free/busy).
//
// Entries are read and changed through /ajax/sharing/<folder> (webmail/ajax/sharing_views.py), which
// calls the same service as the Standard page; storage checks the "administer" right on every change.
// The people and groups offered while typing an address come from JMAP's Principal/query (RFC 9670).
// docs/jmap.md says why JMAP's shareWith is not used.

import { config, t } from "./i18n.js";
import { Jmap } from "./jmap.js";
import { contextMenu, status } from "./layout.js";

export const PRINCIPALS = "urn:ietf:params:jmap:principals";
const SHARING_URL = "/ajax/sharing/";
const SUGGESTIONS = 20;
const TYPING_MS = 200;

const jmap = new Jmap();
jmap.using = [...jmap.using, PRINCIPALS];
let connected = null;

// The storage folder of one of our JMAP collection ids: a Mailbox "m12", a Calendar "c12", an
// AddressBook "ab12", a TaskList "l12", a Notebook "n12", a Journal "j12" (webmail/jmap/ids.py and the
// types' own id modules).
export function folderOf(id) {
  const found = /^(?:m|c|ab|l|n|j)([1-9][0-9]*)$/.exec(id ?? "");
  return found ? found[1] : null;
}

// Whether the user may change who a collection is shared with: the "a" right, which RFC 8621's Mailbox
// calls mayAdmin and the organizer types mayShare.
export function mayShare(collection) {
  return Boolean(collection?.myRights?.mayAdmin || collection?.myRights?.mayShare);
}

function element(tag, { className, text, attrs = {} } = {}) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  return node;
}

function button(label, onClick, className = "") {
  const b = element("button", { className, text: t(label), attrs: { type: "button" } });
  b.addEventListener("click", onClick);
  return b;
}

async function fetchPage(folder, fields = null) {
  const response = await fetch(SHARING_URL + encodeURIComponent(folder), {
    method: fields ? "POST" : "GET",
    credentials: "same-origin",
    headers: fields
      ? { "Content-Type": "application/json", "X-CSRFToken": config.csrf, Accept: "application/json" }
      : { Accept: "application/json" },
    body: fields ? JSON.stringify(fields) : undefined,
  });
  let body = null;
  try {
    body = await response.json();
  } catch (_) { /* an HTML error page: the CSRF check, a proxy */ }
  if (response.ok && body) return body;
  const problem = new Error(body?.error || Object.values(body?.errors || {}).join(" ") || `HTTP ${response.status}`);
  problem.fields = body?.errors || {};
  throw problem;
}

// Principal/query + Principal/get in one request: the people and groups whose name or address holds text.
async function principals(text) {
  connected ??= jmap.connect();
  await connected;
  const found = await jmap.batch([
    ["Principal/query", { filter: text ? { text } : null, limit: SUGGESTIONS }, "q"],
    ["Principal/get", { "#ids": { resultOf: "q", name: "Principal/query", path: "/ids" },
      properties: ["name", "email", "type"] }, "g"],
  ]);
  return found.g.list.filter((p) => p.email.toLowerCase() !== config.address.toLowerCase());
}

// A role menu: the roles with their letters, "custom", and with `withNone` "nothing" (exceptions).
function roleSelect(roles, selected, withNone = false) {
  const select = element("select", { attrs: { name: "role", "aria-label": t("role") } });
  if (withNone) select.append(new Option(t("nothing_hide"), "none", false, selected === "none"));
  for (const [key, label] of Object.entries(roles)) select.append(new Option(label, key, false, selected === key));
  select.append(new Option(t("custom_letters"), "custom", false, selected === null || selected === "custom"));
  return select;
}

function lettersInput(value = "") {
  return element("input", { attrs: { type: "text", name: "letters", value, maxlength: "11", size: "11",
    "aria-label": t("rights_letters"), autocomplete: "off" } });
}

function inheritBox(checked) {
  const label = element("label", { className: "ax-share-check" });
  const box = element("input", { attrs: { type: "checkbox", name: "inherit" } });
  box.checked = checked;
  label.append(box, " ", t("apply_to_subfolders"));
  return [label, box];
}

function checkbox(name, labelKey, checked) {
  const label = element("label", { className: "ax-share-check" });
  const box = element("input", { attrs: { type: "checkbox", name } });
  box.checked = checked;
  label.append(box, " ", t(labelKey));
  return [label, box];
}

// "This user or group [address] | All users of the domain | Anyone" (the last one left out for
// delegation, which goes only to co-workers); the address field offers the domain's principals.
function whoChoice(domain, { anyone = true, name }) {
  const set = element("fieldset", { className: "ax-share-who" });
  set.append(element("legend", { text: t(anyone ? "with" : "delegate_to") }));
  const radio = (value, labelText, checked) => {
    const label = element("label", { className: "ax-share-check" });
    const input = element("input", { attrs: { type: "radio", name, value } });
    input.checked = checked;
    label.append(input, " ", labelText);
    set.append(label);
    return input;
  };
  radio("address", t("this_user_or_group"), true);
  const list = element("datalist", { attrs: { id: `${name}-people` } });
  const address = element("input", { className: "ax-share-address", attrs: { type: "text", name: "address",
    maxlength: "320", list: list.id, autocomplete: "off", "aria-label": t("address") } });
  let asked = 0;
  let typing = null;
  const suggest = async () => {
    const ticket = ++asked;
    try {
      const people = await principals(address.value.trim());
      if (ticket !== asked) return;
      list.replaceChildren(...people.map((p) => new Option(p.name === p.email ? "" : p.name, p.email)));
    } catch (_) { /* the address can still be typed in full */ }
  };
  address.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(suggest, TYPING_MS); // one lookup when the typing pauses, not one a key
  });
  set.append(address, list);
  radio("domain", t("all_users_of", { domain }), false);
  if (anyone) radio("anyone", t("anyone"), false);
  return { set, address, who: () => set.querySelector(`input[name=${name}]:checked`).value };
}

class SharingDialog {
  constructor(folder, onClose) {
    this.folder = folder;
    this.onClose = onClose;
    this.back = element("div", { className: "ax-dialog-back" });
    this.root = element("section", { className: "ax-dialog ax-sharing", attrs: { role: "dialog",
      "aria-modal": "true" } });
    this.back.append(this.root);
    // no key typed in the dialog reaches the page's shortcuts (keys.js: Delete, c, r...) behind it
    this.root.addEventListener("keydown", (event) => {
      event.stopPropagation();
      if (event.key === "Escape") this.close();
    });
  }

  async open() {
    this.opener = document.activeElement;
    document.body.append(this.back);
    this.root.replaceChildren(element("p", { text: t("loading") }));
    try {
      this.render(await fetchPage(this.folder));
    } catch (error) {
      this.root.replaceChildren(element("p", { className: "ax-error", text: error.message,
        attrs: { role: "alert" } }), this.actions());
    }
    this.root.querySelector("input, select, button")?.focus();
  }

  close() {
    this.back.remove();
    this.opener?.focus?.();
    this.onClose?.();
  }

  actions() {
    const bar = element("p", { className: "ax-actions" });
    bar.append(button("close", () => this.close()));
    return bar;
  }

  // One change through the route; the page comes back, drawn again; a refusal is shown on the line.
  async send(fields, done, trigger) {
    if (trigger) trigger.disabled = true;
    try {
      const page = await fetchPage(this.folder, fields);
      this.render(page);
      status(t(done));
      const note = this.root.querySelector(".ax-share-note");
      if (note) note.textContent = t(done);
    } catch (error) {
      this.error.textContent = error.message;
      if (trigger) trigger.disabled = false;
    }
  }

  render(page) {
    this.page = page;
    const f = page.folder;
    const title = f.wholeMailbox ? t("sharing_mailbox") : t("sharing_of", { folder: f.path || f.name });
    this.root.setAttribute("aria-label", title);
    const heading = element("h2", { text: title });
    this.error = element("p", { className: "ax-error", attrs: { role: "alert" } });
    const note = element("p", { className: "ax-share-note", attrs: { role: "status" } });
    const parts = [heading];
    if (f.wholeMailbox) parts.push(element("p", { className: "ax-hint", text: t("sharing_mailbox_hint") }));
    if (!page.mayAdmin) {
      parts.push(element("p", { className: "ax-error ax-share-denied", text: t("sharing_denied"),
        attrs: { role: "alert" } }), this.actions());
      this.root.replaceChildren(...parts);
      return;
    }
    parts.push(this.entries(page), this.inherited(page), this.grantForm(page));
    if (page.delegates) parts.push(this.delegation(page));
    parts.push(this.error, note, this.actions());
    this.root.replaceChildren(...parts.filter(Boolean));
  }

  entries(page) {
    const part = element("div", { className: "ax-share-part" });
    part.append(element("h3", { text: t("shared_with") }));
    if (!page.entries.length) part.append(element("p", { className: "ax-hint ax-share-none", text: t("sharing_none") }));
    const list = element("ul", { className: "ax-share-entries" });
    for (const e of page.entries) {
      const item = element("li", { className: e.allow ? "ax-share-entry" : "ax-share-entry ax-share-deny",
        attrs: { "data-name": e.name, "data-allow": e.allow ? "1" : "0" } });
      const who = element("strong", { text: e.label });
      const facts = [who];
      if (!e.allow) facts.push(element("span", { className: "ax-hint ax-share-denied-tag", text: t("denied") }));
      facts.push(element("code", { className: "ax-share-rights", text: e.rights || "-" }));
      facts.push(element("span", { className: "ax-hint", text: t(e.inherit ? "and_subfolders" : "this_folder_only") }));
      const line = element("p", { className: "ax-share-facts" });
      line.append(...facts.flatMap((node) => [node, " "]));
      const role = roleSelect(page.roles, e.role);
      const letters = lettersInput(e.rights);
      const [inheritLabel, inherit] = inheritBox(e.inherit);
      const change = button("change", () => this.send({ action: "change", name: e.name, allow: e.allow ? "1" : "0",
        role: role.value, letters: letters.value, inherit: inherit.checked ? "1" : "" }, "permissions_changed", change));
      const remove = button("remove", () => this.send({ action: "remove", name: e.name, allow: e.allow ? "1" : "0" },
        "entry_removed", remove));
      const controls = element("p", { className: "ax-share-controls" });
      controls.append(role, letters, inheritLabel, change, remove);
      item.append(line, controls);
      list.append(item);
    }
    part.append(list);
    return part;
  }

  inherited(page) {
    if (!page.inherited.length) return null;
    const part = element("div", { className: "ax-share-part" });
    part.append(element("h3", { text: t("passed_down") }),
      element("p", { className: "ax-hint", text: t("passed_down_hint") }));
    const list = element("ul", { className: "ax-share-inherited" });
    for (const e of page.inherited) {
      const item = element("li", { className: "ax-share-inherited-entry", attrs: { "data-name": e.name } });
      const from = e.from ? t("from_folder", { folder: e.from })
        : t(page.folder.section === "public" ? "from_public" : "from_whole_mailbox");
      const line = element("p", { className: "ax-share-facts" });
      line.append(element("strong", { text: e.label }), " ");
      if (!e.allow) line.append(element("span", { className: "ax-hint", text: t("denied") }), " ");
      line.append(element("code", { className: "ax-share-rights", text: e.rights || "-" }), " ",
        element("span", { className: "ax-hint", text: from }));
      item.append(line);
      if (e.allow && e.name !== page.me) {
        const role = roleSelect(page.roles, "none", true);
        const letters = lettersInput();
        const [inheritLabel, inherit] = inheritBox(true);
        const set = button("set_exception", () => this.send({ action: "exception", name: e.name, role: role.value,
          letters: letters.value, inherit: inherit.checked ? "1" : "" }, "exception_set", set));
        const controls = element("p", { className: "ax-share-controls" });
        controls.append(role, letters, inheritLabel, set);
        item.append(controls);
      }
      list.append(item);
    }
    part.append(list);
    return part;
  }

  grantForm(page) {
    const form = element("form", { className: "ax-share-grant" });
    form.append(element("h3", { text: t(page.folder.wholeMailbox ? "share_whole_mailbox" : "share_this_folder") }));
    const who = whoChoice(page.domain, { name: "ax-share-who" });
    const roleLabel = element("label", { text: t("role") });
    const role = roleSelect(page.roles, "viewer");
    roleLabel.append(role);
    const lettersLabel = element("label", { text: t("custom_letters_hint") });
    const letters = lettersInput();
    lettersLabel.append(letters);
    const effectLabel = element("label", { text: t("effect") });
    const effect = element("select", { attrs: { name: "effect" } });
    effect.append(new Option(t("effect_allow"), "allow"), new Option(t("effect_deny"), "deny"));
    effectLabel.append(effect);
    const [inheritLabel, inherit] = inheritBox(true);
    const submit = element("button", { className: "primary", text: t("share"), attrs: { type: "submit" } });
    const bar = element("p", { className: "ax-actions" });
    bar.append(submit);
    form.append(who.set, roleLabel, lettersLabel, effectLabel, inheritLabel, bar);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send({ action: "grant", who: who.who(), address: who.address.value.trim(), role: role.value,
        letters: letters.value, effect: effect.value, inherit: inherit.checked ? "1" : "" }, "shared", submit);
    });
    return form;
  }

  delegation(page) {
    const part = element("div", { className: "ax-share-part ax-delegation" });
    part.append(element("h3", { text: t("delegation") }),
      element("p", { className: "ax-hint", text: t("delegation_hint") }));
    if (!page.delegates.length) part.append(element("p", { className: "ax-hint", text: t("delegation_none") }));
    const grants = (d) => [["send_as", "send_as", d?.sendAs], ["send_on_behalf", "send_on_behalf", d?.sendOnBehalf],
      ["free_busy", "read_free_busy", d?.freeBusy]].map(([name, label, on]) => checkbox(name, label, Boolean(on)));
    const fields = (boxes) => Object.fromEntries(boxes.map(([, box]) => [box.name, box.checked ? "1" : ""]));
    const list = element("ul", { className: "ax-delegates" });
    for (const d of page.delegates) {
      const item = element("li", { className: "ax-delegate", attrs: { "data-name": d.name } });
      const boxes = grants(d);
      const change = button("change", () => this.send({ action: "delegate", name: d.name, ...fields(boxes) },
        "delegation_changed", change));
      item.append(element("strong", { text: d.label }), " ", ...boxes.map(([label]) => label), change);
      list.append(item);
    }
    const form = element("form", { className: "ax-delegate-add" });
    const who = whoChoice(page.domain, { anyone: false, name: "ax-delegate-who" });
    const boxes = grants(null);
    const submit = element("button", { className: "primary", text: t("delegate"), attrs: { type: "submit" } });
    form.append(who.set, ...boxes.map(([label]) => label), submit);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send({ action: "delegate", who: who.who(), address: who.address.value.trim(), ...fields(boxes) },
        "delegation_changed", submit);
    });
    part.append(list, form);
    return part;
  }
}

// Open the dialog for a storage folder id, or "mailbox" for the whole mailbox; onClose runs when it
// closes (a view may read its collections again: a change may have given or taken rights).
export function openSharing(folder, { onClose } = {}) {
  if (folder === null || folder === undefined) return;
  new SharingDialog(String(folder), onClose).open();
}

// A "Share…" button for a view's current collection (`current()`: a Calendar, AddressBook or TaskList, or
// null); `update()` shows it only where the user may share; onClose as openSharing's.
export function shareButton(current, onClose) {
  const b = element("button", { className: "ax-share-button", text: t("share_folder"), attrs: { type: "button" } });
  b.addEventListener("click", () => openSharing(folderOf(current()?.id), { onClose }));
  b.update = () => { b.hidden = !mayShare(current()); };
  b.update();
  return b;
}

// A "Share…" button for a view that shows several collections at once (the calendar): a menu of those
// the user may share (straight to the dialog when there is one); `update()` after the list changed.
export function shareMenuButton(collections, onClose) {
  const b = element("button", { className: "ax-share-button", text: t("share_folder"), attrs: { type: "button" } });
  const shareable = () => collections().filter(mayShare);
  b.addEventListener("click", (event) => {
    const found = shareable();
    if (found.length === 1) openSharing(folderOf(found[0].id), { onClose });
    else contextMenu(event, found.map((c) => [c.name, () => openSharing(folderOf(c.id), { onClose })]));
  });
  b.update = () => { b.hidden = !shareable().length; };
  b.update();
  return b;
}
