// Managing folders from the folder pane, as the Standard interface's "Manage folders" page does, through
// Mailbox/set: "New folder" under the tree, and on a folder's menu (right-click, the context-menu key, or
// F2 to rename) a new subfolder, rename, move under another folder of the same owner, delete with its
// subfolders and messages, and "Share…" (sharing.js) where the user holds the "administer" right; under
// the tree, the whole mailbox's sharing and delegation. Inbox and the special folders are not renamed, moved or deleted here. A
// refusal is shown in the dialog in words (what went wrong, not the JMAP error type), so the name can be
// corrected on the spot.

import { t } from "./i18n.js";
import { ask } from "./dialog.js";
import { contextMenu } from "./layout.js";
import { label_of } from "./folders.js";
import { folderOf, mayShare, openSharing } from "./sharing.js";

const PERSONAL = "personal";

export class FolderAdmin {
  constructor(folders, jmap, { notify }) {
    this.folders = folders;
    this.jmap = jmap;
    this.notify = notify;
    folders.footer = () => this.footer();
    folders.root.addEventListener("contextmenu", (event) => this.menu(event));
    folders.root.addEventListener("keydown", (event) => {
      const box = this.boxOf(event.target);
      if (event.key === "F2" && box && this.changeable(box)) {
        event.preventDefault();
        this.rename(box);
      }
    });
  }

  footer() {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "ax-new-folder";
    button.textContent = t("new_folder");
    button.addEventListener("click", () => this.create(null));
    const share = document.createElement("button"); // the whole mailbox's sharing and delegation
    share.type = "button";
    share.className = "ax-share-mailbox";
    share.textContent = t("share_mailbox");
    share.addEventListener("click", () => openSharing("mailbox", { onClose: () => this.folders.refresh() }));
    return [button, share];
  }

  boxOf(node) {
    const link = node.closest?.(".ax-folder[data-mailbox]");
    return link ? this.folders.mailboxes.get(link.dataset.mailbox) : null;
  }

  // Inbox and the special folders stay where they are, under their names (as in Standard).
  changeable(box) {
    return !box.role && box.myRights?.mayRename !== false;
  }

  menu(event) {
    const box = this.boxOf(event.target);
    if (!box) return;
    event.preventDefault();
    const items = [];
    if (box.myRights?.mayCreateChild) items.push(["new_subfolder", () => this.create(box)]);
    if (this.changeable(box)) {
      items.push(["rename_folder", () => this.rename(box)]);
      const targets = this.parents(box).map((parent) => [
        parent ? label_of(parent) : t("top_level"),
        () => this.move(box, parent),
      ]);
      if (targets.length) items.push(["move_folder", targets]);
    }
    if (!box.role && box.myRights?.mayDelete) items.push(["delete_folder", () => this.remove(box)]);
    if (mayShare(box)) {
      items.push(["share_folder", () => openSharing(folderOf(box.id), { onClose: () => this.folders.refresh() })]);
    }
    if (items.length) contextMenu(event, items);
  }

  // Where a folder may go: the other folders of its tree (the user's own, or one owner's shared ones)
  // that take subfolders, not itself nor one of its subfolders; and the top of the user's own tree.
  parents(box) {
    const below = this.descendants(box);
    const tree = this.treeOf(box);
    const places = [...this.folders.mailboxes.values()]
      .filter((b) => b.id !== box.id && b.id !== box.parentId && !below.has(b.id))
      .filter((b) => b.myRights?.mayCreateChild && this.treeOf(b) === tree)
      .sort((a, b) => label_of(a).localeCompare(label_of(b)));
    if (box.parentId && tree === PERSONAL) places.unshift(null);
    return places;
  }

  // The user's own folders sort first (Mailbox sortOrder below 20, webmail/jmap/mail/mailbox.py); a
  // shared or public folder belongs to the tree of its top folder.
  treeOf(box) {
    if ((box.sortOrder ?? 0) < 20) return PERSONAL;
    let top = box;
    while (top.parentId && this.folders.mailboxes.has(top.parentId)) top = this.folders.mailboxes.get(top.parentId);
    return top.id;
  }

  descendants(box) {
    const found = new Set();
    let grew = true;
    while (grew) {
      grew = false;
      for (const b of this.folders.mailboxes.values()) {
        if (!found.has(b.id) && (b.parentId === box.id || found.has(b.parentId))) {
          found.add(b.id);
          grew = true;
        }
      }
    }
    return found;
  }

  async create(parent) {
    const made = await ask({
      title: parent ? t("new_subfolder_of", { folder: label_of(parent) }) : t("new_folder"),
      label: t("folder_name"),
      confirm: "create",
      submit: async (name) => {
        await this.set({ create: { f: { name, parentId: parent?.id ?? null } } });
        return name;
      },
    });
    if (made) this.notify(t("folder_created", { folder: made }));
  }

  async rename(box) {
    const done = await ask({
      title: t("rename_folder_named", { folder: label_of(box) }),
      label: t("folder_name"),
      value: box.name,
      confirm: "rename_folder",
      submit: async (name) => {
        if (name !== box.name) await this.set({ update: { [box.id]: { name } } });
        return name;
      },
    });
    if (done) this.notify(t("folder_renamed", { folder: done }));
  }

  async move(box, parent) {
    try {
      await this.set({ update: { [box.id]: { parentId: parent?.id ?? null } } });
      this.notify(t("folder_moved", { folder: label_of(box), parent: parent ? label_of(parent) : t("top_level") }));
    } catch (error) {
      this.notify(error.message);
    }
  }

  async remove(box) {
    const below = this.descendants(box);
    const ids = [box.id, ...below];
    const count = ids.reduce((sum, id) => sum + (this.folders.mailboxes.get(id)?.totalEmails ?? 0), 0);
    const done = await ask({
      title: t("delete_folder_named", { folder: label_of(box) }),
      confirm: "delete_folder",
      danger: true,
      label: null,
      submit: async () => {
        await this.set({ destroy: ids, onDestroyRemoveEmails: true });
        return true;
      },
    }).catch(() => null);
    if (!done) return;
    this.notify(t("folder_deleted", { folder: label_of(box), count }));
    if (ids.includes(this.folders.current)) {
      const inbox = this.folders.byRole("inbox");
      if (inbox) this.folders.open(inbox.id);
    }
  }

  // One Mailbox/set; the first refusal thrown as an Error in the user's words; the pane brought up to date.
  async set(args) {
    let answer;
    try {
      answer = await this.jmap.call("Mailbox/set", args);
    } catch (error) {
      throw new Error(t("failed", { reason: error.message }));
    }
    const refusals = { ...answer.notCreated, ...answer.notUpdated, ...answer.notDestroyed };
    await this.folders.refresh();
    const refused = Object.values(refusals)[0];
    if (refused) throw new Error(explain(refused));
    return answer;
  }
}

// A Mailbox/set SetError as the user reads it.
export function explain(error) {
  const on = (name) => (error.properties || []).includes(name);
  switch (error.type) {
    case "invalidProperties":
      if (on("name") && error.description === "exists") return t("folder_exists");
      if (on("name")) return t("folder_name_rule");
      if (on("parentId")) return t("folder_cannot_go_there");
      return t("failed", { reason: error.description || error.type });
    case "forbidden":
      return t("folder_forbidden");
    case "mailboxHasChild":
      return t("folder_has_children");
    case "notFound":
      return t("folder_gone");
    default:
      return t("failed", { reason: error.description || error.type });
  }
}
