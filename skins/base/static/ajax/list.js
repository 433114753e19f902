// The message list: a virtual list over Email/query, so a folder of 100,000 messages costs what the
// visible rows cost. Only ids are fetched by position (PAGE at a time, Email/query position/limit) and
// only the rows on screen are fetched with Email/get; the scroll height is the query's total times a
// fixed row height, and rows are absolutely placed DOM nodes reused as the view scrolls.
//
// Selection: click, ctrl/cmd-click toggles, shift-click takes a range; j/k move the cursor, Shift with
// j/k or the arrows extends the selection, Space or x toggles the cursor's message, the ContextMenu key
// or Shift+F10 opens the message menu on the selection (keys.js, main.js). Selected rows
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
    // "N messages" / "N found" above the rows, as the Standard list's count
    this.count = document.createElement("p");
    this.count.className = "ax-count";
    this.count.setAttribute("aria-live", "polite");
    this.root.before(this.count);
    this.rows = new Map(); // position -> element
    this.emails = new Map(); // id -> Email
    this.reset(null);
    this.root.addEventListener("scroll", () => this.schedule());
    new ResizeObserver(() => this.schedule()).observe(this.root);
    this.root.addEventListener("keydown", (event) => this.keys(event));
    // the ContextMenu key where the browser turns it into a contextmenu event on the focused list
    this.root.addEventListener("contextmenu", (event) => {
      if (event.target !== this.root) return;
      event.preventDefault();
      this.menuAtCursor();
    });
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
    this.showCount();
  }

  searching() {
    return Boolean(this.text || Object.keys(this.criteria).length);
  }

  showCount() {
    const known = Boolean(this.mailbox) && this.queryState !== null;
    this.count.textContent = known ? t(this.searching() ? "found_count" : "message_count", { count: this.total }) : "";
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
    this.notice.textContent = t(this.searching() ? "no_match" : "empty_folder");
    this.notice.hidden = this.total > 0;
    this.showCount();
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
    // every mark set or cleared: a row element shows another message after the list shifts
    row.classList.toggle("ax-attached", Boolean(email.hasAttachment));
    row.classList.toggle("ax-answered", Boolean(email.keywords?.$answered));
    row.classList.toggle("ax-forwarded", Boolean(email.keywords?.$forwarded));
    const marks = document.createElement("span");
    marks.className = "ax-marks";
    for (const [on, mark, label] of [[email.keywords?.$answered, "↩", "mark_answered"],
      [email.keywords?.$forwarded, "→", "mark_forwarded"], [email.hasAttachment, "📎", "mark_attachment"]]) {
      if (!on) continue;
      const sign = document.createElement("span");
      sign.className = `ax-${label.replace("_", "-")}`;
      sign.textContent = mark;
      sign.title = t(label);
      sign.setAttribute("role", "img");
      sign.setAttribute("aria-label", t(label));
      marks.append(sign);
    }
    if (email.size) { // the Standard list's Size column
      const size = document.createElement("span");
      size.className = "ax-size";
      size.textContent = sizeText(email.size);
      marks.append(size);
    }
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
    row.replaceChildren(who, when, subject, marks, preview);
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
    await this.reach(next);
    this.select(next, {});
    this.activate(next);
  }

  // Shift+j/k, Shift+arrows: the cursor moves and the selection runs from the anchor to it; nothing
  // is opened, so several messages can be gathered for the menu.
  async extend(step) {
    const next = Math.min(Math.max(this.cursor + step, 0), this.total - 1);
    if (next < 0) return;
    if (this.anchor < 0) this.anchor = Math.max(this.cursor, 0);
    await this.reach(next);
    this.select(next, { range: true });
  }

  // Space / x: the cursor's message in or out of the selection (the cursor is the first row if none).
  toggleCursor() {
    const at = Math.max(this.cursor, 0);
    if (this.ids[at] === undefined) return;
    this.select(at, { toggle: true });
  }

  async reach(position) {
    const top = position * ROW;
    if (top < this.root.scrollTop) this.root.scrollTop = top;
    else if (top + ROW > this.root.scrollTop + this.root.clientHeight) {
      this.root.scrollTop = top + ROW - this.root.clientHeight;
    }
    if (this.ids[position] === undefined) await this.fetchPage(Math.floor(position / PAGE));
    if (!this.emails.has(this.ids[position])) await this.fetchEmails([this.ids[position]]);
  }

  // The message menu from the keyboard, under the cursor's row, on the selection (the cursor's
  // message when nothing is selected); `focus` is the menu group to start in ("move_to").
  menuAtCursor(focus = null) {
    if (!this.selected.size) {
      if (this.ids[Math.max(this.cursor, 0)] === undefined) return;
      this.select(Math.max(this.cursor, 0), {});
    }
    const row = this.rows.get(this.cursor);
    const box = (row || this.root).getBoundingClientRect();
    this.onMenu?.({ clientX: box.left + 24, clientY: box.bottom }, [...this.selected], { returnTo: this.root, focus });
  }

  keys(event) { // Enter and the letters are the page's shortcuts (keys.js)
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      if (event.shiftKey) this.extend(step);
      else this.move(step);
    } else if (event.key === " " && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      this.toggleCursor();
    } else if (event.key === "ContextMenu" || (event.key === "F10" && event.shiftKey)) {
      event.preventDefault();
      event.stopPropagation();
      this.menuAtCursor();
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
    this.showCount();
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

export function sizeText(bytes) {
  if (bytes < 1024 * 1024) return t("size_kb", { size: Math.max(1, Math.round(bytes / 1024)) });
  return t("size_mb", { size: (bytes / (1024 * 1024)).toFixed(1) });
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
