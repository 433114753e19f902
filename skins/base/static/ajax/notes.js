// The Ajax interface's notes and journal (the top bar's Notes and Journal views, views.js) over our JMAP
// extension urn:fieldpost:jmap:notes (docs/jmap.md): Notebook/get + Note/query + Note/get, Note/set,
// and the same for Journal/JournalEntry. One class serves both: a journal entry is a note with a date,
// listed newest day first. The left column lists the entries of every readable folder (own and shared)
// or of one, filtered by a search; the right one is the entry's form, read-only where the folder's
// rights say so. A push naming the types (main.js passes every StateChange on as an "ax-push" event)
// reloads the list, as another tab's or client's change arrives.

import { config, t } from "./i18n.js";
import { Jmap, JmapError } from "./jmap.js";
import { status } from "./layout.js";
import { ask } from "./dialog.js";
import { registerView } from "./views.js";
import { shareButton } from "./sharing.js";
import { transferButtons } from "./transfer.js";
import { queryAll } from "./query_all.js";

export const NOTES = "urn:fieldpost:jmap:notes";
const PROPERTIES = ["id", "title", "body", "keywords", "updated"];
const MAX_ENTRIES = 10000; // a list longer than this shows its first ones: search for the others

function element(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function field(label, input) {
  const caption = element("label", { className: "ax-field" }, element("span", { textContent: label }), input);
  return caption;
}

function refused(answer, key) {
  const error = answer?.[key] && Object.values(answer[key])[0];
  if (error) throw new JmapError(error.type, error.description);
}

class EntriesView {
  // area: "notes" or "journal"; names the JMAP types and the strings ("notes_*" / "journal_*").
  constructor(root, area) {
    this.root = root;
    this.area = area;
    this.dated = area === "journal";
    [this.itemType, this.folderType, this.folderProp] = this.dated
      ? ["JournalEntry", "Journal", "journalId"] : ["Note", "Notebook", "notebookId"];
    this.jmap = new Jmap();
    this.jmap.using = [...this.jmap.using, NOTES];
    this.state = { connected: false, loaded: false, folders: [], folder: "", entries: [], open: null };
    this.build();
    window.addEventListener("keydown", (event) => this.key(event), true);
    window.addEventListener("ax-push", (event) => {
      const types = event.detail || {};
      if (this.state.loaded && (types[this.itemType] || types[this.folderType])) this.load().catch((e) => this.failed(e));
    });
  }

  // Keys while this view shows (views.js holds the mail view's back): j/k or the arrows open the next or
  // previous entry, n a new one, / the search, Delete deletes the open one (after asking).
  key(event) {
    if (!document.body.classList.contains(`ax-view-${this.area}`)) return;
    if (document.querySelector(".ax-dialog-back, .ax-help")) return;
    if (event.target.closest?.("input, textarea, select, [contenteditable=true]")) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const step = { j: 1, ArrowDown: 1, k: -1, ArrowUp: -1 }[event.key];
    const open = this.state.open?.entry;
    if (step) {
      const at = this.state.entries.findIndex((e) => e.id === this.state.open?.id);
      const next = this.state.entries[Math.min(Math.max(at + step, 0), this.state.entries.length - 1)];
      if (next) {
        this.edit(next);
        this.list.querySelector(`[data-id="${CSS.escape(next.id)}"]`)?.focus();
      }
    } else if (event.key === "n" && !this.newButton.disabled) {
      this.edit(null);
    } else if (event.key === "/") {
      this.search.focus();
    } else if (event.key === "Delete" && open) {
      const folder = this.state.folders.find((f) => f.id === open[this.folderProp]);
      if (folder?.myRights?.mayRemoveItems) this.destroy(open);
    } else {
      return;
    }
    event.stopPropagation();
    event.preventDefault();
  }

  text(key, values) {
    return t(`${this.area}_${key}`, values);
  }

  build() {
    const bar = element("form", { className: "ax-notes-bar", role: "search" });
    this.picker = element("select", { className: "ax-notes-folder" });
    this.picker.setAttribute("aria-label", this.text("folder"));
    this.search = element("input", { type: "search", className: "ax-notes-search", placeholder: this.text("search") });
    this.search.setAttribute("aria-label", this.text("search"));
    this.newButton = element("button", { type: "button", className: "primary", textContent: this.text("new"), disabled: true }); // until the folders are known
    // "Share…" for the folder chosen in the picker, where the user may (sharing.js)
    this.share = shareButton(() => this.state.folders.find((f) => f.id === this.state.folder), () => this.load());
    // Import (.ics of notes or journal entries) and Export (the folder shown, or one picked), as the
    // Standard import page offers them for these folders too (transfer.js)
    this.transfer = transferButtons({
      collections: () => this.state.folders.map((f) => ({ ...f, name: this.folderName(f) })),
      writable: (f) => Boolean(f.myRights?.mayAddItems),
      current: () => this.state.folder || null,
      done: () => this.load(),
    });
    bar.append(this.picker, this.share, this.search, this.newButton, this.transfer.importButton, this.transfer.exportButton);
    this.list = element("ul", { className: "ax-notes-list" });
    this.list.setAttribute("aria-label", this.text("title"));
    const side = element("section", { className: "ax-notes-side" }, bar, this.list);
    this.pane = element("section", { className: "ax-notes-pane" });
    this.pane.setAttribute("aria-label", this.text("entry"));
    this.root.append(side, this.pane);
    bar.addEventListener("submit", (event) => { event.preventDefault(); this.load(); });
    let typing = null;
    this.search.addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(() => this.load(), 250); });
    this.picker.addEventListener("change", () => { this.state.folder = this.picker.value; this.load(); });
    this.newButton.addEventListener("click", () => this.edit(null));
    this.placeholder();
  }

  failed(error) {
    status(t("failed", { reason: error.message || String(error) }));
  }

  placeholder() {
    this.state.open = null;
    this.pane.replaceChildren(element("p", { className: "ax-placeholder", textContent: this.text("choose") }));
  }

  writable() {
    return this.state.folders.filter((f) => f.myRights?.mayAddItems);
  }

  // A folder of someone else's is named with its owner ("Notes (jo@example.com)"), as two are alike.
  folderName(folder) {
    if (!folder) return "";
    const mine = !folder.owner || folder.owner.toLowerCase() === config.address.toLowerCase();
    return mine ? folder.name : t("folder_of", { name: folder.name, owner: folder.owner });
  }

  async load() {
    try {
      if (!this.state.connected) {
        await this.jmap.connect();
        this.state.connected = true;
      }
      const filter = {};
      if (this.state.folder) filter[`in${this.folderType}s`] = [this.state.folder];
      if (this.search.value.trim()) filter.text = this.search.value.trim();
      const [folders, entries] = await Promise.all([
        this.jmap.call(`${this.folderType}/get`, { ids: null }),
        queryAll(this.jmap, this.itemType, filter, [...PROPERTIES, this.folderProp, ...(this.dated ? ["date"] : [])], MAX_ENTRIES),
      ]);
      this.state.folders = folders.list;
      if (this.state.folder && !this.state.folders.some((f) => f.id === this.state.folder)) this.state.folder = "";
      this.state.entries = entries;
      this.state.loaded = true;
      this.render();
      const open = this.state.open;
      if (open && open.id && !this.state.entries.some((e) => e.id === open.id) && !this.search.value.trim()) {
        this.placeholder(); // deleted elsewhere
      } else if (open && open.id && !open.dirty) {
        const fresh = this.state.entries.find((e) => e.id === open.id);
        if (fresh && fresh.updated !== open.entry?.updated) this.edit(fresh);
      }
    } catch (error) {
      this.failed(error);
    }
  }

  render() {
    const all = new Option(this.text("all_folders"), "", false, this.state.folder === "");
    this.picker.replaceChildren(all, ...this.state.folders.map((f) => new Option(this.folderName(f), f.id, false, f.id === this.state.folder)));
    this.newButton.disabled = this.writable().length === 0;
    this.share.update();
    this.transfer.update();
    const when = new Intl.DateTimeFormat(document.documentElement.lang || undefined, { dateStyle: "medium" });
    this.list.replaceChildren(...this.state.entries.map((entry) => {
      const row = element("li", { className: "ax-note", tabIndex: 0 });
      row.dataset.id = entry.id;
      row.setAttribute("aria-selected", String(this.state.open?.id === entry.id));
      const head = element("span", { className: "ax-note-title", textContent: entry.title || t("cal_no_title") });
      const line = element("span", { className: "ax-preview-line", textContent: (entry.body || "").split("\n")[0] });
      if (this.dated && entry.date) {
        const [y, m, d] = entry.date.split("-").map(Number);
        row.append(element("span", { className: "ax-note-day", textContent: when.format(new Date(y, m - 1, d)) }));
      }
      row.append(head, line);
      row.addEventListener("click", () => this.edit(entry));
      row.addEventListener("keydown", (event) => { if (event.key === "Enter") this.edit(entry); });
      return row;
    }));
    if (!this.state.entries.length) {
      this.list.append(element("li", { className: "ax-placeholder", textContent: this.text(this.search.value.trim() ? "no_match" : "none") }));
    }
  }

  // The form of one entry (entry null: a new one in a folder the user may add to).
  edit(entry) {
    const folder = entry ? this.state.folders.find((f) => f.id === entry[this.folderProp]) : null;
    const readOnly = entry !== null && !folder?.myRights?.mayUpdateItems;
    const open = { id: entry?.id ?? null, entry, dirty: false };
    this.state.open = open;
    for (const row of this.list.querySelectorAll(".ax-note")) row.setAttribute("aria-selected", String(row.dataset.id === open.id));
    const form = element("form", { className: "ax-note-form" });
    form.append(element("h2", { textContent: entry ? (entry.title || t("cal_no_title")) : this.text("new") }));
    if (readOnly) form.append(element("p", { className: "ax-note-readonly", textContent: this.text("read_only") }));
    const title = element("input", { type: "text", id: `ax-${this.area}-title`, value: entry?.title ?? "", required: true, maxLength: 500 });
    form.append(field(this.text("field_title"), title));
    let day = null;
    if (this.dated) {
      const today = new Date();
      const local = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, "0")}-${String(today.getDate()).padStart(2, "0")}`;
      day = element("input", { type: "date", id: `ax-${this.area}-date`, value: entry?.date ?? local, required: true });
      form.append(field(this.text("field_date"), day));
    }
    let where = null;
    if (!entry) {
      where = element("select", { id: `ax-${this.area}-folder` });
      const preferred = this.state.folder || this.writable().find((f) => f.isDefault)?.id;
      where.append(...this.writable().map((f) => new Option(this.folderName(f), f.id, false, f.id === preferred)));
      form.append(field(this.text("folder"), where));
    } else if (this.state.folders.length > 1) {
      form.append(element("p", { className: "ax-hint", textContent: this.folderName(folder) }));
    }
    const words = element("input", { type: "text", id: `ax-${this.area}-keywords`, value: Object.keys(entry?.keywords || {}).join(", ") });
    form.append(field(this.text("field_categories"), words));
    const body = element("textarea", { id: `ax-${this.area}-body`, value: entry?.body ?? "", rows: 14 });
    form.append(field(this.text("field_text"), body));
    const actions = element("p", { className: "ax-actions" });
    if (!readOnly) {
      actions.append(element("button", { type: "submit", className: "primary", textContent: t("cal_save") }));
      if (entry && folder?.myRights?.mayRemoveItems) {
        const remove = element("button", { type: "button", textContent: t("cal_delete") });
        remove.addEventListener("click", () => this.destroy(entry));
        actions.append(remove);
      }
    }
    form.append(actions);
    for (const input of [title, day, words, body]) {
      if (!input) continue;
      input.readOnly = readOnly;
      input.addEventListener("input", () => { open.dirty = true; });
    }
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (readOnly) return;
      const keywords = Object.fromEntries(words.value.split(",").map((w) => w.trim()).filter(Boolean).map((w) => [w, true]));
      const values = { title: title.value, body: body.value, keywords: Object.keys(keywords).length ? keywords : null };
      if (day) values.date = day.value;
      try {
        if (entry) {
          refused(await this.jmap.call(`${this.itemType}/set`, { update: { [entry.id]: values } }), "notUpdated");
        } else {
          values[this.folderProp] = where.value;
          const answer = await this.jmap.call(`${this.itemType}/set`, { create: { k: values } });
          refused(answer, "notCreated");
          open.id = answer.created.k.id;
        }
        open.dirty = false;
        status(this.text("saved"));
        await this.load();
        const saved = this.state.entries.find((e) => e.id === open.id);
        if (saved) this.edit(saved);
      } catch (error) {
        this.failed(error);
      }
    });
    this.pane.replaceChildren(form);
    if (!entry) title.focus(); // an opened one leaves the focus in the list, for j and k
  }

  async destroy(entry) {
    const gone = await ask({
      title: this.text("delete_question", { title: entry.title }),
      confirm: "cal_delete",
      danger: true,
      submit: async () => {
        refused(await this.jmap.call(`${this.itemType}/set`, { destroy: [entry.id] }), "notDestroyed");
      },
    });
    if (gone === null) return;
    status(this.text("deleted"));
    this.placeholder();
    await this.load();
  }

  show() {
    return this.load();
  }
}

for (const area of ["notes", "journal"]) {
  const root = document.querySelector(`.ax-${area}`);
  if (!root) continue;
  const view = new EntriesView(root, area);
  registerView(area, () => view.show());
}
