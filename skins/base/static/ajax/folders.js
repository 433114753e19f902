// The folder pane: every Mailbox of the account as a tree with unread counts, a "Frequent" group (the
// folders opened or moved to most often, counted in this browser), and drop targets for messages.

import { has, t } from "./i18n.js";

const FREQUENT_KEY = "fieldpost.ajax.frequent";
const FREQUENT_SHOWN = 3;
export const DRAG_TYPE = "application/x-fieldpost-emails";

export class FolderPane {
  constructor(root, jmap, { onOpen, onDropEmails }) {
    this.root = root;
    this.jmap = jmap;
    this.onOpen = onOpen;
    this.onDropEmails = onDropEmails;
    this.mailboxes = new Map();
    this.current = null;
    this.state = null;
    this.footer = null; // () => nodes put under the tree (folder_admin.js)
  }

  byRole(role) {
    for (const box of this.mailboxes.values()) if (box.role === role) return box;
    return null;
  }

  name(id) {
    const box = this.mailboxes.get(id);
    return box ? label_of(box) : "";
  }

  async load() {
    const answer = await this.jmap.call("Mailbox/get", { ids: null });
    this.state = answer.state;
    this.mailboxes = new Map(answer.list.map((box) => [box.id, box]));
    this.render();
  }

  // Mailbox/changes since the last state; a full reload when the server cannot tell.
  async refresh() {
    if (!this.state) return this.load();
    try {
      const changes = await this.jmap.call("Mailbox/changes", { sinceState: this.state });
      const ids = [...changes.created, ...changes.updated];
      for (const id of changes.destroyed) this.mailboxes.delete(id);
      if (ids.length) {
        const answer = await this.jmap.call("Mailbox/get", { ids });
        for (const box of answer.list) this.mailboxes.set(box.id, box);
      }
      this.state = changes.newState;
      if (changes.hasMoreChanges) return this.refresh();
      this.render();
    } catch (_) {
      await this.load();
    }
  }

  counted(id) {
    const counts = JSON.parse(localStorage.getItem(FREQUENT_KEY) || "{}");
    counts[id] = (counts[id] || 0) + 1;
    localStorage.setItem(FREQUENT_KEY, JSON.stringify(counts));
  }

  frequent() {
    const counts = JSON.parse(localStorage.getItem(FREQUENT_KEY) || "{}");
    return Object.entries(counts)
      .filter(([id]) => this.mailboxes.has(id) && this.mailboxes.get(id).role !== "inbox")
      .sort((a, b) => b[1] - a[1])
      .slice(0, FREQUENT_SHOWN)
      .map(([id]) => this.mailboxes.get(id));
  }

  open(id) {
    if (!this.mailboxes.has(id)) return;
    this.current = id;
    this.counted(id);
    this.render();
    this.onOpen(this.mailboxes.get(id));
  }

  render() {
    const children = new Map();
    for (const box of this.mailboxes.values()) {
      const parent = box.parentId && this.mailboxes.has(box.parentId) ? box.parentId : null;
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(box);
    }
    const order = (a, b) => (a.sortOrder ?? 0) - (b.sortOrder ?? 0) || a.name.localeCompare(b.name);
    const tree = (parent, depth) => {
      const list = document.createElement("ul");
      for (const box of (children.get(parent) || []).sort(order)) {
        const item = document.createElement("li");
        item.append(this.entry(box, depth));
        if (children.has(box.id)) item.append(tree(box.id, depth + 1));
        list.append(item);
      }
      return list;
    };
    const parts = [];
    const frequent = this.frequent();
    if (frequent.length) {
      const heading = document.createElement("h2");
      heading.textContent = t("frequent");
      const list = document.createElement("ul");
      list.className = "ax-frequent";
      for (const box of frequent) {
        const item = document.createElement("li");
        item.append(this.entry(box, 0));
        list.append(item);
      }
      parts.push(heading, list);
    }
    const heading = document.createElement("h2");
    heading.textContent = t("folders");
    parts.push(heading, tree(null, 0), ...(this.footer?.() ?? []));
    const focused = this.root.contains(document.activeElement) ? document.activeElement.dataset.mailbox : null;
    this.root.replaceChildren(...parts);
    if (focused) this.root.querySelector(`.ax-folder[data-mailbox="${focused}"]`)?.focus();
  }

  entry(box, depth) {
    const link = document.createElement("a");
    link.href = `#${box.id}`;
    link.className = "ax-folder";
    link.dataset.mailbox = box.id;
    if (box.role) link.dataset.role = box.role;
    if (box.id === this.current) link.setAttribute("aria-current", "true");
    link.style.setProperty("--depth", depth);
    const label = document.createElement("span");
    label.className = "ax-folder-name";
    label.textContent = label_of(box);
    link.append(label);
    if (box.unreadEmails) {
      const count = document.createElement("span");
      count.className = "ax-unread";
      count.textContent = String(box.unreadEmails);
      link.append(count);
    }
    link.addEventListener("click", (event) => {
      event.preventDefault();
      this.open(box.id);
    });
    const mayAdd = box.myRights?.mayAddItems !== false;
    link.addEventListener("dragover", (event) => {
      if (!mayAdd || !event.dataTransfer.types.includes(DRAG_TYPE)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      link.classList.add("ax-drop");
    });
    link.addEventListener("dragleave", () => link.classList.remove("ax-drop"));
    link.addEventListener("drop", (event) => {
      link.classList.remove("ax-drop");
      const data = event.dataTransfer.getData(DRAG_TYPE);
      if (!data) return;
      event.preventDefault();
      this.counted(box.id);
      this.onDropEmails(JSON.parse(data), box);
    });
    return link;
  }
}

// A special folder at the top of the tree under its translated name; the others as named.
export function label_of(box) {
  return !box.parentId && box.role && has(`role_${box.role}`) ? t(`role_${box.role}`) : box.name;
}
