// The message list: a virtual list over Email/query, so a folder of 100,000 messages costs what the
// visible rows cost. Only ids are fetched by position (PAGE at a time, Email/query position/limit) and
// only the rows on screen are fetched with Email/get; the scroll height is the query's total times a
// fixed row height, and rows are absolutely placed DOM nodes reused as the view scrolls.
//
// Selection: click, ctrl/cmd-click toggles, shift-click takes a range; j/k move the cursor. Selected rows
// drag onto a folder (DRAG_TYPE carries their ids). Live updates: Email/queryChanges from the last
// queryState (a full re-query when the server cannot calculate them), then the changed rows re-fetched.

import { t } from "./i18n.js";
import { DRAG_TYPE } from "./folders.js";

const ROW = 52; // px; ajax.css .ax-row has the same height
const PAGE = 100; // ids per Email/query
const OVERSCAN = 10; // rows drawn above and below the visible ones
const NEWEST_FIRST = [{ property: "receivedAt", isAscending: false }];
const PROPERTIES = [
  "id", "threadId", "mailboxIds", "keywords", "from", "to", "subject", "receivedAt", "preview",
  "hasAttachment", "size",
];

export class MessageList {
  constructor(root, jmap, { onOpen, onSelect, onMenu }) {
    this.root = root;
    this.jmap = jmap;
    this.onOpen = onOpen;
    this.onSelect = onSelect;
    this.onMenu = onMenu;
    this.spacer = document.createElement("div");
    this.spacer.className = "ax-spacer";
    this.notice = document.createElement("p");
    this.notice.className = "ax-placeholder";
    this.root.replaceChildren(this.spacer, this.notice);
    this.rows = new Map(); // position -> element
    this.emails = new Map(); // id -> Email
    this.reset(null);
    this.root.addEventListener("scroll", () => this.schedule());
    new ResizeObserver(() => this.schedule()).observe(this.root);
    this.root.addEventListener("keydown", (event) => this.keys(event));
  }

  reset(mailbox, { text = "", threads = false, criteria = {}, sort = NEWEST_FIRST } = {}) {
    this.sort = sort; // the Email/query sort (sort.js)
    this.mailbox = mailbox;
    this.text = text;
    this.criteria = criteria; // advanced search (search.js): a FilterCondition added to the folder's
    this.listing = {}; // a new token per folder opened or search run: an older query's answer is dropped
    this.threads = threads;
    this.ids = [];
    this.total = 0;
    this.queryState = null;
    this.pending = new Set(); // pages being fetched
    this.selected = new Set();
    this.cursor = -1;
    this.anchor = -1;
    for (const row of this.rows.values()) row.remove();
    this.rows.clear();
    this.spacer.style.height = "0px";
  }

  filter() {
    const filter = { ...this.criteria, inMailbox: this.mailbox.id };
    if (this.text) filter.text = this.text;
    return filter;
  }

  query(position, limit, calculateTotal) {
    return {
      filter: this.filter(),
      sort: this.sort,
      collapseThreads: this.threads,
      position,
      limit,
      calculateTotal,
    };
  }

  async open(mailbox, options) {
    this.reset(mailbox, options);
    this.notice.textContent = t("loading");
    this.notice.hidden = false;
    const listing = this.listing;
    await this.fetchPage(0, true);
    if (listing !== this.listing) return;
    this.root.scrollTop = 0;
    const searching = this.text || Object.keys(this.criteria).length;
    this.notice.textContent = t(searching ? "no_match" : "empty_folder");
    this.notice.hidden = this.total > 0;
    this.draw();
  }

  // The ids of one page (and the total, the first time), then the Emails of what is on screen.
  // Pages page .. page + count - 1 in one Email/query (a jump of the scroll bar usually spans two).
  async fetchPage(page, total = false, count = 1) {
    const pages = Array.from({ length: count }, (_, i) => page + i);
    if (pages.some((p) => this.pending.has(p))) return;
    pages.forEach((p) => this.pending.add(p));
    const listing = this.listing;
    try {
      const answer = await this.jmap.call("Email/query", this.query(page * PAGE, count * PAGE, total));
      if (listing !== this.listing) return; // the user went elsewhere (or searched) meanwhile
      answer.ids.forEach((id, i) => { this.ids[answer.position + i] = id; });
      if (total || answer.total !== undefined) this.total = answer.total ?? this.total;
      // the state of the oldest page held: changes since it may be applied again (an added id already
      // listed is moved, not doubled), but changes older than a newer page's state would be lost
      this.queryState ??= answer.queryState;
      this.spacer.style.height = `${this.total * ROW}px`;
    } finally {
      pages.forEach((p) => this.pending.delete(p));
    }
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      this.draw();
    });
  }

  visible() {
    const first = Math.max(0, Math.floor(this.root.scrollTop / ROW) - OVERSCAN);
    const count = Math.ceil(this.root.clientHeight / ROW) + 2 * OVERSCAN;
    return [first, Math.min(this.total, first + count)];
  }

  // Draw the rows in view from what is known; fetch what is missing, then draw again.
  draw() {
    if (!this.mailbox) return;
    const [first, last] = this.visible();
    for (const [position, row] of this.rows) {
      if (position < first || position >= last) {
        row.remove();
        this.rows.delete(position);
      }
    }
    const missingPages = new Set();
    const missingEmails = [];
    for (let position = first; position < last; position += 1) {
      const id = this.ids[position];
      if (id === undefined) missingPages.add(Math.floor(position / PAGE));
      else if (!this.emails.has(id)) missingEmails.push(id);
      this.paint(position);
    }
    if (missingPages.size) {
      const low = Math.min(...missingPages);
      const high = Math.max(...missingPages);
      this.fetchPage(low, false, high - low + 1).then(() => this.schedule(), () => {});
    }
    if (missingEmails.length) this.fetchEmails(missingEmails).then(() => this.schedule(), () => {});
  }

  async fetchEmails(ids) {
    const wanted = ids.filter((id) => !this.emails.has(id) && !this.fetching?.has(id));
    if (!wanted.length) return;
    this.fetching ??= new Set();
    wanted.forEach((id) => this.fetching.add(id));
    try {
      const answer = await this.jmap.call("Email/get", { ids: wanted, properties: PROPERTIES });
      for (const email of answer.list) this.emails.set(email.id, email);
    } finally {
      wanted.forEach((id) => this.fetching.delete(id));
    }
  }

  paint(position) {
    let row = this.rows.get(position);
    if (!row) {
      row = document.createElement("div");
      row.className = "ax-row";
      row.setAttribute("role", "option");
      row.draggable = true;
      row.style.top = `${position * ROW}px`;
      row.addEventListener("click", (event) => this.clicked(Number(row.dataset.position), event));
      row.addEventListener("dblclick", () => this.activate(Number(row.dataset.position)));
      row.addEventListener("dragstart", (event) => this.dragged(Number(row.dataset.position), event));
      row.addEventListener("contextmenu", (event) => {
        const at = Number(row.dataset.position);
        if (!this.selected.has(this.ids[at])) this.select(at, {});
        event.preventDefault();
        this.onMenu?.(event, [...this.selected]);
      });
      this.root.append(row);
      this.rows.set(position, row);
    }
    row.dataset.position = String(position);
    const id = this.ids[position];
    const email = id && this.emails.get(id);
    const key = email ? `${id}|${JSON.stringify(email.keywords)}` : "";
    row.setAttribute("aria-selected", String(this.selected.has(id)));
    row.classList.toggle("ax-cursor", position === this.cursor);
    if (row.dataset.key === key) return;
    row.dataset.key = key;
    row.dataset.id = id || "";
    if (!email) {
      row.replaceChildren();
      row.classList.add("ax-loading");
      return;
    }
    row.classList.remove("ax-loading");
    row.classList.toggle("ax-unseen", !email.keywords?.$seen);
    row.classList.toggle("ax-flagged", Boolean(email.keywords?.$flagged));
    const who = document.createElement("span");
    who.className = "ax-who";
    who.textContent = (email.from || []).map((a) => a.name || a.email).join(", ");
    const when = document.createElement("time");
    when.className = "ax-when";
    when.dateTime = email.receivedAt;
    when.textContent = shortDate(email.receivedAt);
    const subject = document.createElement("span");
    subject.className = "ax-subject";
    subject.textContent = email.subject || t("no_subject");
    const preview = document.createElement("span");
    preview.className = "ax-preview";
    preview.textContent = email.preview || "";
    row.replaceChildren(who, when, subject, preview);
    if (email.hasAttachment) row.classList.add("ax-attached");
  }

  clicked(position, event) {
    this.select(position, { toggle: event.ctrlKey || event.metaKey, range: event.shiftKey });
    if (!event.ctrlKey && !event.metaKey && !event.shiftKey) this.activate(position);
  }

  select(position, { toggle = false, range = false }) {
    const id = this.ids[position];
    if (id === undefined) return;
    if (range && this.anchor >= 0) {
      const [from, to] = [Math.min(this.anchor, position), Math.max(this.anchor, position)];
      if (!toggle) this.selected.clear();
      for (let at = from; at <= to; at += 1) if (this.ids[at] !== undefined) this.selected.add(this.ids[at]);
    } else if (toggle) {
      if (this.selected.has(id)) this.selected.delete(id);
      else this.selected.add(id);
      this.anchor = position;
    } else {
      this.selected = new Set([id]);
      this.anchor = position;
    }
    this.cursor = position;
    this.draw();
    this.onSelect?.([...this.selected]);
  }

  activate(position) {
    const id = this.ids[position];
    if (id === undefined) return;
    this.cursor = position;
    this.onOpen(id, this.emails.get(id));
  }

  // j/k: the next or previous message, opened; Enter opens the cursor's message.
  async move(step) {
    const next = Math.min(Math.max(this.cursor + step, 0), this.total - 1);
    if (next < 0) return;
    const top = next * ROW;
    if (top < this.root.scrollTop) this.root.scrollTop = top;
    else if (top + ROW > this.root.scrollTop + this.root.clientHeight) {
      this.root.scrollTop = top + ROW - this.root.clientHeight;
    }
    if (this.ids[next] === undefined) await this.fetchPage(Math.floor(next / PAGE));
    if (!this.emails.has(this.ids[next])) await this.fetchEmails([this.ids[next]]);
    this.select(next, {});
    this.activate(next);
  }

  keys(event) { // Enter is the page's shortcut (keys.js)
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      this.move(event.key === "ArrowDown" ? 1 : -1);
    }
  }

  dragged(position, event) {
    const id = this.ids[position];
    if (!this.selected.has(id)) this.select(position, {});
    event.dataTransfer.setData(DRAG_TYPE, JSON.stringify([...this.selected]));
    event.dataTransfer.setData("text/plain", t("selected", { count: this.selected.size }));
    event.dataTransfer.effectAllowed = "move";
  }

  // After a change pushed by the server: the query's changes, else the query again from the top. One
  // at a time: two overlapping Email/queryChanges from the same state would both insert what was added.
  refresh(changedEmailIds = []) {
    const run = () => this.refreshOnce(changedEmailIds);
    this.refreshing = (this.refreshing ?? Promise.resolve()).then(run, run);
    return this.refreshing;
  }

  async refreshOnce(changedEmailIds) {
    const listing = this.listing;
    if (!this.mailbox) return;
    for (const id of changedEmailIds) this.emails.delete(id);
    let applied = false;
    if (this.queryState) {
      try {
        const changes = await this.jmap.call("Email/queryChanges", {
          filter: this.filter(),
          sort: this.sort,
          collapseThreads: this.threads,
          sinceQueryState: this.queryState,
          calculateTotal: true,
        });
        if (listing !== this.listing) return;
        // splice keeps the holes of pages not fetched; a removed id that was never fetched lies in one
        // of them, so every position after the first hole is uncertain and fetched again
        let unknown = false;
        for (const id of changes.removed) {
          const at = this.ids.indexOf(id);
          if (at >= 0) this.ids.splice(at, 1);
          else unknown = true;
        }
        if (unknown) this.ids.length = firstHole(this.ids);
        for (const { id, index } of [...changes.added].sort((a, b) => a.index - b.index)) {
          const at = this.ids.indexOf(id); // already listed (a page fetched after the change): moved, not doubled
          if (at >= 0) this.ids.splice(at, 1);
          this.ids.splice(index, 0, id);
        }
        this.total = changes.total ?? this.ids.length;
        this.queryState = changes.newQueryState;
        applied = true;
      } catch (_) { /* cannotCalculateChanges and the like: query again */ }
    }
    if (!applied) await this.requery();
    this.spacer.style.height = `${this.total * ROW}px`;
    this.notice.hidden = this.total > 0;
    for (const row of this.rows.values()) row.dataset.key = "";
    this.draw();
  }

  // Shown as read at once (the reader's route marked it on the server; the push confirms it).
  seen(id) {
    const email = this.emails.get(id);
    if (!email || email.keywords?.$seen) return false;
    email.keywords = { ...email.keywords, $seen: true };
    this.draw();
    return true;
  }

  // The page in view queried again; the known ids are replaced only once the answer is in, so a click
  // meanwhile still finds its row.
  async requery() {
    const listing = this.listing;
    const page = Math.floor(Math.floor(this.root.scrollTop / ROW) / PAGE);
    const answer = await this.jmap.call("Email/query", this.query(page * PAGE, PAGE, true));
    if (listing !== this.listing) return;
    const ids = [];
    answer.ids.forEach((id, i) => { ids[answer.position + i] = id; });
    this.ids = ids;
    this.total = answer.total ?? ids.length;
    this.queryState = answer.queryState;
  }

  forget(ids) {
    for (const id of ids) this.emails.delete(id);
  }
}

function firstHole(array) {
  for (let at = 0; at < array.length; at += 1) if (!(at in array)) return at;
  return array.length;
}

export function shortDate(value) {
  if (!value) return "";
  const date = new Date(value);
  const now = new Date();
  if (date.toDateString() === now.toDateString()) {
    return date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  }
  return date.toLocaleDateString(undefined, { day: "numeric", month: "short", year: "2-digit" });
}
