// The contacts view: address books, a searchable list of cards, a card and its form, over JMAP for
// Contacts (RFC 9610: AddressBook/get, ContactCard/query, /get, /set). Cards are JSContact (RFC 9553);
// the form edits the Standard contact form's fields (names, typed e-mail addresses and phone numbers,
// organization, job title, postal address with its region, birthday, categories, note; a group's
// members) and sends only the properties it changed, so what it does not show survives an edit. The
// server keeps them in the same vCard as the Standard pages and CardDAV (jmap/contacts/jscontact.py): a
// type is an entry's contexts (work, private = home) or a phone's features (mobile = cell, fax;
// voice = other), the birthday is the "birth" anniversary, categories are keywords, the job title a
// "title" entry.
// "Write" hands an address (or a group's members) to the mail view's composer. "Directory" lists the
// domain's accounts read-only (JMAP Principal/query, RFC 9670; the Standard page's directory).

import { t } from "./i18n.js";
import { JmapError } from "./jmap.js";
import { ask } from "./dialog.js";
import { shareButton, PRINCIPALS } from "./sharing.js";
import { transferButtons } from "./transfer.js";

export const CONTACTS = "urn:ietf:params:jmap:contacts";
const DIRECTORY_LIMIT = 200; // Principal/query's own cap (webmail/jmap/principals.py)
const LIST_LIMIT = 500; // cards listed at once; a search narrows the list
const SEARCH_DELAY_MS = 200;
const LIST_PROPERTIES = ["id", "name", "emails", "kind", "addressBookIds"];
const ADDRESS_PARTS = [["name", "street"], ["postcode", "postcode"], ["locality", "city"],
  ["region", "region"], ["country", "country"]];
// The Standard form's types (webmail/contact_vcard.py EMAIL_TYPES, PHONE_TYPES) and their labels.
const EMAIL_TYPES = [["home", "type_home"], ["work", "type_work"], ["other", "type_other"]];
const PHONE_TYPES = [["cell", "type_mobile"], ["home", "type_home"], ["work", "type_work"],
  ["fax", "type_fax"], ["other", "type_other"]];
// A type as JSContact says it; what the entry had besides (pref, label) is kept.
const TYPE_FLAGS = {
  email: { home: { contexts: { private: true } }, work: { contexts: { work: true } }, other: {} },
  phone: { cell: { features: { mobile: true } }, home: { contexts: { private: true } },
    work: { contexts: { work: true } }, fax: { features: { fax: true } }, other: { features: { voice: true } } },
};

export function emailType(entry) {
  if (entry?.contexts?.work) return "work";
  return entry?.contexts?.private ? "home" : "other";
}

export function phoneType(entry) {
  if (entry?.features?.mobile) return "cell";
  if (entry?.features?.fax) return "fax";
  if (entry?.contexts?.work) return "work";
  return entry?.contexts?.private ? "home" : "other";
}

function typeLabel(types, kind) {
  return t(types.find(([k]) => k === kind)?.[1] ?? "type_other");
}

// The birthday's date as the form's date field holds it (YYYY-MM-DD); "" without one or without a year.
function birthdayValue(card) {
  const date = Object.values(card?.anniversaries || {}).find((a) => a.kind === "birth")?.date;
  if (!date?.year || !date.month || !date.day) return "";
  const two = (n) => String(n).padStart(2, "0");
  return `${String(date.year).padStart(4, "0")}-${two(date.month)}-${two(date.day)}`;
}

function birthdayText(card) {
  const date = Object.values(card.anniversaries || {}).find((a) => a.kind === "birth")?.date;
  if (!date?.month || !date.day) return "";
  const day = new Date(Date.UTC(date.year || 2000, date.month - 1, date.day));
  const options = { timeZone: "UTC", month: "long", day: "numeric", ...(date.year ? { year: "numeric" } : {}) };
  return day.toLocaleDateString(document.documentElement.lang || undefined, options);
}

function categories(card) {
  return Object.keys(card?.keywords || {});
}

function jobTitle(card) {
  return Object.values(card?.titles || {}).find((x) => (x.kind ?? "title") === "title")?.name || "";
}

function element(tag, { className = "", text = "", attrs = {} } = {}) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  return node;
}

function component(card, kind) {
  return (card.name?.components || []).filter((c) => c.kind === kind).map((c) => c.value).join(" ");
}

export function cardTitle(card) {
  const full = card.name?.full || [component(card, "given"), component(card, "surname")]
    .filter(Boolean).join(" ");
  return full || Object.values(card.organizations || {})[0]?.name
    || Object.values(card.emails || {})[0]?.address || t("no_name");
}

// "Name" <address> as the composer's recipient fields take it.
function recipient(name, address) {
  if (!name || name === address) return address;
  return `"${name.replace(/["\\]/g, "\\$&")}" <${address}>`;
}

function lines(text) {
  return text.split("\n").map((line) => line.trim()).filter(Boolean);
}

function same(a, b) {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

export class ContactsView {
  constructor(root, jmap, { onWrite, notify }) {
    this.root = root;
    this.jmap = jmap;
    this.onWrite = onWrite;
    this.notify = notify;
    this.books = [];
    this.book = null; // the address book shown; null: all
    this.cards = new Map();
    this.current = null;
    this.loaded = false;
    this.listings = 0;
    this.opening = 0;
    this.build();
  }

  build() {
    this.bookPane = element("nav", { className: "ax-books", attrs: { "aria-label": t("address_books") } });
    const middle = element("section", { className: "ax-cards", attrs: { "aria-label": t("contacts") } });
    const bar = element("div", { className: "ax-cards-bar" });
    this.search = element("input", { attrs: { type: "search", name: "contact-search",
      placeholder: t("search_contacts"), "aria-label": t("search_contacts") } });
    let timer = null;
    this.search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => this.refresh().catch((e) => this.failed(e)), SEARCH_DELAY_MS);
    });
    const add = element("button", { className: "primary", text: t("new_contact"),
      attrs: { type: "button", "data-action": "new-contact" } });
    add.addEventListener("click", () => this.edit(null));
    const addGroup = element("button", { text: t("new_group"), attrs: { type: "button" } });
    addGroup.addEventListener("click", () => this.edit(null, { group: true }));
    bar.append(this.search, add, addGroup);
    this.list = element("ul", { className: "ax-card-list", attrs: { role: "listbox",
      "aria-label": t("contacts") } });
    middle.append(bar, this.list);
    this.pane = element("section", { className: "ax-card", attrs: { "aria-label": t("contact") } });
    this.placeholder();
    this.root.append(this.bookPane, middle, this.pane);
  }

  failed(error) {
    this.notify(t("failed", { reason: error instanceof JmapError ? error.message : String(error) }));
  }

  // The right pane shows a card, a form, the directory or nothing: the Directory link is marked current
  // while the directory shows.
  showing(node, { directory = false } = {}) {
    this.bookPane.querySelector("[data-action=directory]")?.setAttribute("aria-current", String(directory));
    this.pane.replaceChildren(node);
  }

  placeholder() {
    this.current = null;
    this.showing(element("p", { className: "ax-placeholder", text: t("no_contact") }));
  }

  // First shown: the capability joins the requests' "using", then books and cards are read (shown
  // before the page's own start-up connected, after a quick click, it connects first).
  async show() {
    if (!this.jmap.session) await this.jmap.connect();
    if (!this.jmap.using.includes(CONTACTS)) this.jmap.using.push(CONTACTS);
    if (!this.loaded) {
      await this.loadBooks();
      this.loaded = true;
    }
    await this.refresh();
  }

  // A push (StateChange) named the contacts: once loaded, the books and the list are read again, and
  // the open card unless it is being edited (the edit's ETag check keeps another client's change safe).
  async changed(types) {
    if (!this.loaded) return;
    if (types.AddressBook) await this.loadBooks();
    await this.refresh();
    if (this.current && !this.pane.querySelector("form")) await this.open(this.current);
  }

  async loadBooks() {
    const answer = await this.jmap.call("AddressBook/get", { ids: null });
    this.books = answer.list.sort((a, b) => a.sortOrder - b.sortOrder);
    const items = [[null, t("all_address_books")], ...this.books.map((b) => [b.id, b.description
      ? `${b.name} (${b.description})` : b.name])];
    const list = element("ul");
    for (const [id, label] of items) {
      const link = element("a", { className: "ax-folder", text: label, attrs: { href: "#",
        "data-book": id ?? "" } });
      link.addEventListener("click", (event) => {
        event.preventDefault();
        this.book = id;
        share.update();
        this.refresh().catch((e) => this.failed(e));
      });
      const item = element("li");
      item.append(link);
      list.append(item);
    }
    // "Share…" for the address book shown, where the user may (sharing.js)
    const share = shareButton(() => this.books.find((b) => b.id === this.book), () => this.loadBooks());
    // Import (.vcf into a book the user may write) and Export (the book shown, or one picked): transfer.js
    const transfer = transferButtons({
      collections: () => this.books, writable: (b) => Boolean(b.myRights?.mayWrite), current: () => this.book,
      done: () => this.refresh().catch((e) => this.failed(e)),
    });
    const tools = element("p", { className: "ax-book-tools" });
    tools.append(transfer.importButton, transfer.exportButton);
    const directory = element("a", { className: "ax-directory-link", text: t("directory"), attrs: { href: "#",
      "data-action": "directory" } });
    directory.addEventListener("click", (event) => {
      event.preventDefault();
      this.directory().catch((e) => this.failed(e));
    });
    const other = element("ul");
    const item = element("li");
    item.append(directory);
    other.append(item);
    this.bookPane.replaceChildren(element("h2", { text: t("address_books") }), list, share, tools, other);
  }

  writableBooks() {
    return this.books.filter((b) => b.myRights?.mayWrite);
  }

  // The list: one ContactCard/query and the /get of its ids in one request (a back-reference).
  async refresh() {
    const listing = ++this.listings; // an older listing's answer, arriving late, is dropped
    const text = this.search.value.trim();
    const conditions = [];
    if (this.book) conditions.push({ inAddressBook: this.book });
    if (text) conditions.push({ text });
    const filter = conditions.length > 1 ? { operator: "AND", conditions } : conditions[0] ?? null;
    const found = await this.jmap.batch([
      ["ContactCard/query", { filter, limit: LIST_LIMIT }, "q"],
      ["ContactCard/get", { "#ids": { resultOf: "q", name: "ContactCard/query", path: "/ids" },
        properties: LIST_PROPERTIES }, "g"],
    ]);
    if (listing !== this.listings) return;
    for (const link of this.bookPane.querySelectorAll("[data-book]")) {
      link.setAttribute("aria-current", String((link.dataset.book || null) === this.book));
    }
    this.cards = new Map(found.g.list.map((card) => [card.id, card]));
    const rows = found.q.ids.filter((id) => this.cards.has(id)).map((id) => this.row(this.cards.get(id)));
    if (!rows.length) rows.push(element("li", { className: "ax-placeholder", text: t("no_contacts") }));
    this.list.replaceChildren(...rows);
  }

  row(card) {
    const item = element("li", { className: "ax-card-row", attrs: { role: "option", tabindex: "0",
      "data-id": card.id, "aria-selected": String(card.id === this.current) } });
    const name = element("span", { className: "ax-who", text: cardTitle(card) });
    const first = Object.values(card.emails || {})[0]?.address ?? (card.kind === "group" ? t("group") : "");
    item.append(name, element("span", { className: "ax-preview-line", text: first }));
    const open = () => this.open(card.id).catch((e) => this.failed(e));
    item.addEventListener("click", open);
    item.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      event.stopPropagation(); // not the mail list's "open" (keys.js)
      open();
    });
    return item;
  }

  async open(id) {
    const mine = ++this.opening; // a form opened, or another card chosen, meanwhile wins
    const answer = await this.jmap.call("ContactCard/get", { ids: [id] });
    if (mine !== this.opening) return;
    const card = answer.list[0];
    if (!card) {
      this.placeholder();
      return this.refresh();
    }
    this.current = id;
    for (const row of this.list.querySelectorAll("[data-id]")) {
      row.setAttribute("aria-selected", String(row.dataset.id === id));
    }
    this.display(card);
  }

  // The domain directory (the Standard page /contacts/directory): the other accounts of the user's
  // domain, searchable, read-only, each address starting a message. Principal/query + /get in one
  // request, accounts only (type individual), the signed-in one left out as on the Standard page.
  async directory() {
    this.opening += 1; // a card still being read does not replace the directory
    this.current = null;
    for (const row of this.list.querySelectorAll("[data-id]")) row.setAttribute("aria-selected", "false");
    if (!this.jmap.using.includes(PRINCIPALS)) this.jmap.using.push(PRINCIPALS);
    const view = element("article", { className: "ax-directory" });
    const search = element("input", { attrs: { type: "search", name: "directory-search",
      "aria-label": t("search_directory"), placeholder: t("search_directory") } });
    const list = element("ul", { className: "ax-directory-list" });
    view.append(element("h2", { text: t("directory") }), element("p", { className: "ax-hint",
      text: t("directory_hint") }), search, list);
    this.showing(view, { directory: true });
    let listing = 0;
    const fill = async () => {
      const mine = ++listing;
      const text = search.value.trim();
      const conditions = [{ type: "individual" }, ...(text ? [{ text }] : [])];
      const found = await this.jmap.batch([
        ["Principal/query", { filter: { operator: "AND", conditions }, limit: DIRECTORY_LIMIT }, "q"],
        ["Principal/get", { "#ids": { resultOf: "q", name: "Principal/query", path: "/ids" },
          properties: ["id", "name", "email"] }, "g"],
      ]);
      if (mine !== listing) return;
      const me = (this.jmap.session?.username || "").toLowerCase();
      const byId = new Map(found.g.list.map((p) => [p.id, p]));
      const people = found.q.ids.map((id) => byId.get(id)).filter((p) => p && p.email.toLowerCase() !== me);
      const rows = people.map((p) => {
        const item = element("li", { className: "ax-directory-entry" });
        const link = element("a", { text: p.email, attrs: { href: "#", "data-write": p.email } });
        link.addEventListener("click", (event) => {
          event.preventDefault();
          this.onWrite(recipient(p.name, p.email));
        });
        item.append(element("span", { className: "ax-who", text: p.name || p.email }), " ", link);
        return item;
      });
      if (!rows.length) rows.push(element("li", { className: "ax-placeholder", text: t("nobody_found") }));
      list.replaceChildren(...rows);
    };
    let timer = null;
    search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => fill().catch((e) => this.failed(e)), SEARCH_DELAY_MS);
    });
    await fill();
    search.focus();
  }

  bookOf(card) {
    const id = Object.keys(card.addressBookIds || {})[0];
    return this.books.find((b) => b.id === id);
  }

  display(card) {
    const view = element("article", { className: "ax-contact" });
    view.append(element("h2", { text: cardTitle(card) }));
    const toolbar = element("div", { className: "ax-toolbar" });
    const writable = this.bookOf(card)?.myRights?.mayWrite;
    const everyone = this.addressesOf(card);
    if (everyone.length) toolbar.append(this.button("write_to", () => this.onWrite(everyone.join(", "))));
    if (writable) {
      toolbar.append(this.button("edit", () => this.edit(card)));
      toolbar.append(this.button("delete", () => this.remove(card)));
    }
    view.prepend(toolbar);
    const facts = element("dl", { className: "ax-facts" });
    const fact = (label, value) => {
      if (!value) return;
      facts.append(element("dt", { text: t(label) }));
      const dd = element("dd");
      if (value instanceof Node) dd.append(value); else dd.textContent = value;
      facts.append(dd);
    };
    const typed = (node, label) => {
      const both = element("span");
      both.append(node, " ", element("span", { className: "ax-type", text: `(${label})` }));
      return both;
    };
    for (const email of Object.values(card.emails || {})) {
      const link = element("a", { text: email.address, attrs: { href: "#", "data-write": email.address } });
      link.addEventListener("click", (event) => {
        event.preventDefault();
        this.onWrite(recipient(cardTitle(card), email.address));
      });
      fact("email", typed(link, typeLabel(EMAIL_TYPES, emailType(email))));
    }
    for (const phone of Object.values(card.phones || {})) {
      fact("phone", typed(document.createTextNode(phone.number), typeLabel(PHONE_TYPES, phoneType(phone))));
    }
    for (const org of Object.values(card.organizations || {})) {
      fact("organization", [org.name, ...(org.units || []).map((u) => u.name)].filter(Boolean).join(", "));
    }
    for (const title of Object.values(card.titles || {})) fact("job_title", title.name);
    for (const address of Object.values(card.addresses || {})) {
      fact("postal_address", (address.components || []).map((c) => c.value).join(", "));
    }
    if (card.kind === "group") {
      fact("members", Object.keys(card.members || {}).map((m) => m.replace(/^mailto:/i, "")).join(", "));
    }
    fact("birthday", birthdayText(card));
    fact("categories", categories(card).join(", "));
    for (const note of Object.values(card.notes || {})) fact("note", note.note);
    const book = this.bookOf(card);
    if (book) fact("address_book", book.name);
    view.append(facts);
    this.showing(view);
  }

  addressesOf(card) {
    if (card.kind === "group") {
      return Object.keys(card.members || {}).filter((m) => /^mailto:/i.test(m)).map((m) => m.slice(7));
    }
    const first = Object.values(card.emails || {})[0];
    return first ? [recipient(cardTitle(card), first.address)] : [];
  }

  button(label, action) {
    const node = element("button", { text: t(label), attrs: { type: "button" } });
    node.addEventListener("click", () => Promise.resolve(action()).catch((e) => this.failed(e)));
    return node;
  }

  field(form, name, label, value = "", { multiline = false } = {}) {
    const wrap = element("label", { className: "ax-field" });
    const input = element(multiline ? "textarea" : "input", { attrs: { name } });
    if (multiline) input.rows = 3;
    input.value = value;
    wrap.append(element("span", { text: t(label) }), input);
    form.append(wrap);
    return input;
  }

  // Rows of a type and a value (the Standard form's e-mail and phone rows): one per entry the card has
  // and an empty one; "Add" gives another. Each row is [select, input].
  typedRows(form, name, label, types, entries, value, typeOf) {
    const set = element("fieldset", { className: "ax-typed", attrs: { "data-field": name } });
    set.append(element("legend", { text: t(label) }));
    const rows = [];
    const addRow = (kind, text) => {
      const row = element("div", { className: "ax-typed-row" });
      const select = element("select", { attrs: { name: `${name}_type`, "aria-label": t("type") } });
      for (const [k, l] of types) {
        const option = element("option", { text: t(l), attrs: { value: k } });
        option.selected = k === kind;
        select.append(option);
      }
      const input = element("input", { attrs: { name, type: name === "email" ? "email" : "tel",
        "aria-label": t(name === "email" ? "email" : "phone") } });
      input.value = text;
      row.append(select, input);
      more.before(row);
      rows.push([select, input]);
      return input;
    };
    const more = element("button", { text: t("add"), attrs: { type: "button" } });
    more.addEventListener("click", () => addRow(types[0][0], "").focus());
    set.append(more);
    for (const entry of entries) addRow(typeOf(entry), entry[value]);
    addRow(types[0][0], "");
    form.append(set);
    return rows;
  }

  // The form for a new card (card null) or an existing one.
  edit(card, { group = false } = {}) {
    this.opening += 1; // a card still being read does not replace the form
    const isGroup = card ? card.kind === "group" : group;
    const form = element("form", { className: "ax-contact-form" });
    form.noValidate = true;
    form.append(element("h2", { text: t(card ? "edit_contact" : isGroup ? "new_group" : "new_contact") }));
    const f = {};
    if (!card) {
      const books = this.writableBooks();
      const wrap = element("label", { className: "ax-field" });
      f.book = element("select", { attrs: { name: "book" } });
      for (const book of books) {
        const option = element("option", { text: book.name, attrs: { value: book.id } });
        option.selected = book.isDefault || book.id === this.book;
        f.book.append(option);
      }
      wrap.append(element("span", { text: t("address_book") }), f.book);
      form.append(wrap);
    }
    const given = card ? component(card, "given") : "";
    const surname = card ? component(card, "surname") : "";
    const full = card?.name?.full || "";
    if (isGroup) {
      f.full = this.field(form, "full", "group_name", full);
      f.members = this.field(form, "members", "members_hint", Object.keys(card?.members || {})
        .map((m) => m.replace(/^mailto:/i, "")).join("\n"), { multiline: true });
    } else {
      f.given = this.field(form, "given", "given_name", given);
      f.surname = this.field(form, "surname", "surname", surname);
      const joined = [given, surname].filter(Boolean).join(" ");
      f.full = this.field(form, "full", "display_name", full !== joined ? full : "");
      f.emails = this.typedRows(form, "email", "emails_hint", EMAIL_TYPES, Object.values(card?.emails || {}),
        "address", emailType);
      f.phones = this.typedRows(form, "tel", "phones_hint", PHONE_TYPES, Object.values(card?.phones || {}),
        "number", phoneType);
      const org = Object.values(card?.organizations || {})[0];
      f.organization = this.field(form, "organization", "organization", org?.name || "");
      f.title = this.field(form, "title", "job_title", jobTitle(card));
      const address = Object.values(card?.addresses || {})[0];
      for (const [kind, label] of ADDRESS_PARTS) {
        const value = (address?.components || []).filter((c) => c.kind === kind).map((c) => c.value).join(" ");
        f[`adr_${kind}`] = this.field(form, `adr_${kind}`, label, value);
      }
      f.birthday = this.field(form, "birthday", "birthday", birthdayValue(card));
      f.birthday.type = "date";
      f.categories = this.field(form, "categories", "categories_hint", categories(card).join(", "));
    }
    const note = Object.values(card?.notes || {})[0]?.note || "";
    f.note = this.field(form, "note", "note", note, { multiline: true });
    const error = element("p", { className: "ax-error", attrs: { role: "alert" } });
    const actions = element("p", { className: "ax-actions" });
    const save = element("button", { className: "primary", text: t("save"), attrs: { type: "submit" } });
    const cancel = element("button", { text: t("cancel"), attrs: { type: "button" } });
    cancel.addEventListener("click", () => (card ? this.display(card) : this.placeholder()));
    actions.append(save, cancel);
    form.append(error, actions);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save(card, isGroup, f).catch((e) => {
        error.textContent = e instanceof JmapError ? e.message : String(e);
      });
    });
    this.showing(form);
    (isGroup ? f.full : f.given).focus();
  }

  // The JSContact properties the form stands for (each one whole; null for an emptied one).
  fromForm(card, isGroup, f) {
    const out = { kind: isGroup ? "group" : "individual" };
    const components = [];
    if (!isGroup) {
      if (f.given.value.trim()) components.push({ kind: "given", value: f.given.value.trim() });
      if (f.surname.value.trim()) components.push({ kind: "surname", value: f.surname.value.trim() });
    }
    const full = f.full.value.trim() || components.map((c) => c.value).join(" ");
    out.name = full || components.length ? { ...(full ? { full } : {}),
      ...(components.length ? { components } : {}) } : null;
    const notes = f.note.value.trim() ? { n1: { note: f.note.value } } : null;
    out.notes = same(notes?.n1?.note, Object.values(card?.notes || {})[0]?.note) ? card?.notes ?? null : notes;
    if (isGroup) {
      const members = Object.fromEntries(lines(f.members.value).map((m) => [
        /^[a-z][a-z0-9+.-]*:/i.test(m) ? m : `mailto:${m.replace(/^.*<(.*)>$/, "$1")}`, true]));
      out.members = Object.keys(members).length ? members : null;
      return out;
    }
    // An entry the card had with the same value and type is kept whole; a new type replaces only the
    // contexts and features.
    const typedEntries = (rows, old, key, typeOf, flags) => rows.map(([select, input]) => [select.value,
      input.value.trim()]).filter(([, text]) => text).map(([kind, text]) => {
      const before = old.find((e) => String(e[key]).toLowerCase() === text.toLowerCase());
      if (before && typeOf(before) === kind) return { ...before, [key]: text };
      const { contexts, features, ...rest } = before || {};
      return { ...rest, ...flags[kind], [key]: text };
    });
    const emails = typedEntries(f.emails, Object.values(card?.emails || {}), "address", emailType,
      TYPE_FLAGS.email);
    out.emails = emails.length ? Object.fromEntries(emails.map((e, i) => [`e${i + 1}`, e])) : null;
    const phones = typedEntries(f.phones, Object.values(card?.phones || {}), "number", phoneType,
      TYPE_FLAGS.phone);
    out.phones = phones.length ? Object.fromEntries(phones.map((p, i) => [`p${i + 1}`, p])) : null;
    const title = f.title.value.trim();
    if (title === jobTitle(card)) out.titles = card?.titles ?? null;
    else {
      const roles = Object.values(card?.titles || {}).filter((x) => (x.kind ?? "title") !== "title");
      const titles = [...(title ? [{ name: title, kind: "title" }] : []), ...roles];
      out.titles = titles.length ? Object.fromEntries(titles.map((x, i) => [`t${i + 1}`, x])) : null;
    }
    const birthday = f.birthday.value;
    if (birthday === birthdayValue(card)) out.anniversaries = card?.anniversaries ?? null;
    else {
      const others = Object.values(card?.anniversaries || {}).filter((a) => a.kind !== "birth");
      const [year, month, day] = birthday.split("-").map(Number);
      const all = [...(birthday ? [{ kind: "birth", date: { "@type": "PartialDate", year, month, day } }] : []),
        ...others];
      out.anniversaries = all.length ? Object.fromEntries(all.map((a, i) => [`b${i + 1}`, a])) : null;
    }
    const words = [...new Set(f.categories.value.split(",").map((w) => w.trim()).filter(Boolean))];
    if (same(words, categories(card))) out.keywords = card?.keywords ?? null;
    else out.keywords = words.length ? Object.fromEntries(words.map((w) => [w, true])) : null;
    const orgName = f.organization.value.trim();
    const oldOrg = Object.values(card?.organizations || {})[0];
    if ((oldOrg?.name || "") === orgName) out.organizations = card?.organizations ?? null;
    else out.organizations = orgName ? { o1: { name: orgName } } : null;
    const parts = ADDRESS_PARTS.map(([kind]) => [kind, f[`adr_${kind}`].value.trim()]).filter(([, v]) => v);
    const oldAddress = Object.values(card?.addresses || {})[0];
    const oldParts = ADDRESS_PARTS.map(([kind]) => [kind, (oldAddress?.components || [])
      .filter((c) => c.kind === kind).map((c) => c.value).join(" ")]).filter(([, v]) => v);
    if (same(parts, oldParts)) out.addresses = card?.addresses ?? null;
    else out.addresses = parts.length ? { a1: { components: parts.map(([kind, value]) => ({ kind, value })) } }
      : null;
    return out;
  }

  async save(card, isGroup, f) {
    const wanted = this.fromForm(card, isGroup, f);
    let id = card?.id;
    if (!card) {
      const body = Object.fromEntries(Object.entries(wanted).filter(([, v]) => v !== null));
      body.addressBookIds = { [f.book.value]: true };
      const answer = await this.jmap.call("ContactCard/set", { create: { c: body } });
      const refused = answer.notCreated?.c;
      if (refused) throw new JmapError(refused.type, refused.description);
      id = answer.created.c.id;
    } else {
      const patch = {};
      for (const [name, value] of Object.entries(wanted)) {
        if (name !== "kind" && !same(value, card[name])) patch[name] = value;
      }
      if (Object.keys(patch).length) {
        const answer = await this.jmap.call("ContactCard/set", { update: { [id]: patch } });
        const refused = answer.notUpdated?.[id];
        if (refused) throw new JmapError(refused.type, refused.description);
      }
    }
    this.notify(t("contact_saved"));
    await this.refresh();
    await this.open(id);
  }

  async remove(card) {
    await ask({
      title: t("delete_contact", { name: cardTitle(card) }),
      confirm: "delete",
      danger: true,
      submit: async () => {
        const answer = await this.jmap.call("ContactCard/set", { destroy: [card.id] });
        const refused = answer.notDestroyed?.[card.id];
        if (refused) throw new Error(refused.description || refused.type);
        this.notify(t("contact_deleted"));
        this.placeholder();
        await this.refresh();
      },
    });
  }
}

// The Contacts button of the view switch in the top bar (Mail | Calendar | Contacts, app.html): each
// view's module follows every button (calendar.js likewise), so this one shows or hides the contacts.
// While they show, the mail view's single-key shortcuts are held back (they would act on the hidden list).
export function bindViews(onContacts) {
  const switches = [...document.querySelectorAll(".ax-views [data-view]")];
  const show = (name) => {
    document.body.classList.toggle("ax-view-contacts", name === "contacts");
    for (const s of switches) s.setAttribute("aria-pressed", String(s.dataset.view === name));
    if (name === "contacts") onContacts();
  };
  for (const s of switches) s.addEventListener("click", () => show(s.dataset.view));
  window.addEventListener("keydown", (event) => {
    if (!document.body.classList.contains("ax-view-contacts")) return;
    if (event.target.closest?.("input, textarea, select, [contenteditable=true]") || event.key === "?") return;
    if (event.key.length === 1 || event.key === "Delete") event.stopPropagation();
  }, true);
  // Another view chosen by the page itself (writing from a card, the settings): its button is clicked,
  // so every view's module hears of it.
  return { select: (name) => document.querySelector(`.ax-views [data-view=${name}]`)?.click() };
}
