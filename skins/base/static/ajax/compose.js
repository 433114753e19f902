// The composer, in the reader's pane: recipients with suggestions (the Standard composer's JSON route),
// a small HTML editor (contenteditable and a toolbar; what it holds is put through the server's sanitiser
// before it is saved or sent), attachments dropped or picked (JMAP upload), a draft saved in Drafts while
// writing (Email/set: the new draft created, the previous one destroyed), and Send (EmailSubmission/set,
// whose onSuccessUpdateEmail moves the draft to Sent).

import { config, t } from "./i18n.js";
import { addresses } from "./reader.js";

const AUTOSAVE_MS = 5000;
const SUGGEST_AFTER = 2; // characters typed before suggestions are asked for

export class Composer {
  constructor(root, jmap, folders, { onClose, notify }) {
    this.root = root;
    this.jmap = jmap;
    this.folders = folders;
    this.onClose = onClose;
    this.notify = notify;
    this.open = false;
  }

  // A new message; or a reply or forward (quote, inReplyTo, answering: the original's id, which gets the
  // $answered or $forwarded keyword once sent; a forward's attachments carried over by blobId); or a
  // draft carried on (draftId, bcc, body: its HTML, cleaned by the server, and its attachments).
  start({ to = "", cc = "", bcc = "", subject = "", quote = null, inReplyTo = null, answering = null,
    attachments = [], draftId = null, body = null } = {}) {
    this.open = true;
    this.draftId = draftId;
    this.dirty = false;
    this.saving = null;
    this.attachments = [];
    this.inReplyTo = inReplyTo;
    this.answering = answering;
    const form = document.createElement("form");
    form.className = "ax-composer";
    form.noValidate = true;
    this.fields = {};
    for (const [name, value] of [["to", to], ["cc", cc], ["bcc", bcc], ["subject", subject]]) {
      const label = document.createElement("label");
      label.className = "ax-field";
      const caption = document.createElement("span");
      caption.textContent = t(name);
      const input = document.createElement("input");
      input.name = name;
      input.value = value;
      input.autocomplete = "off";
      if (name !== "subject") this.suggestions(input);
      label.append(caption, input);
      form.append(label);
      this.fields[name] = input;
    }
    form.append(this.toolbar());
    this.editor = document.createElement("div");
    this.editor.className = "ax-editor";
    this.editor.contentEditable = "true";
    this.editor.setAttribute("role", "textbox");
    this.editor.setAttribute("aria-multiline", "true");
    if (body !== null) {
      this.editor.innerHTML = body; // the server's sanitiser made it (views.clean), as for a send
    } else {
      this.editor.append(document.createElement("p"));
      if (quote) this.editor.append(quote);
      this.signature().catch(() => {}); // a message without one is still written
    }
    form.append(this.editor);
    this.fileList = document.createElement("ul");
    this.fileList.className = "ax-files";
    const picker = document.createElement("input");
    picker.type = "file";
    picker.multiple = true;
    picker.setAttribute("aria-label", t("attach"));
    picker.addEventListener("change", () => this.attach([...picker.files]));
    const hint = document.createElement("p");
    hint.className = "ax-hint";
    hint.textContent = t("drop_files");
    this.status = document.createElement("p");
    this.status.className = "ax-compose-status";
    this.status.setAttribute("role", "status");
    const actions = document.createElement("p");
    actions.className = "ax-actions";
    const button = (label, handler, primary = false) => {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = t(label);
      if (primary) b.className = "primary";
      b.addEventListener("click", handler);
      actions.append(b);
    };
    button("send", () => this.send(), true);
    button("save_draft", () => this.save());
    button("discard", () => this.discard());
    form.append(picker, hint, this.fileList, actions, this.status);
    form.addEventListener("input", () => { this.dirty = true; });
    form.addEventListener("dragover", (event) => {
      if (event.dataTransfer.types.includes("Files")) {
        event.preventDefault();
        form.classList.add("ax-drop");
      }
    });
    form.addEventListener("dragleave", () => form.classList.remove("ax-drop"));
    form.addEventListener("drop", (event) => {
      form.classList.remove("ax-drop");
      if (!event.dataTransfer.files.length) return;
      event.preventDefault();
      this.attach([...event.dataTransfer.files]);
    });
    for (const part of attachments) this.listed(part);
    this.root.replaceChildren(form);
    this.timer = setInterval(() => { if (this.dirty) this.save(); }, AUTOSAVE_MS);
    (to ? this.editor : this.fields.to).focus();
  }

  // The identity's signature (the settings pane or the Standard settings set it) under the first line,
  // above a quoted original, after the usual "-- " line.
  async signature() {
    const editor = this.editor;
    const identities = await this.jmap.call("Identity/get", { ids: null });
    const mine = identities.list.find((i) => i.email.toLowerCase() === config.address.toLowerCase());
    const text = mine?.textSignature?.trim();
    if (!text || editor !== this.editor || !this.open) return;
    const block = document.createElement("div");
    block.className = "ax-signature";
    for (const line of ["-- ", ...text.split("\n")]) {
      const p = document.createElement("p");
      p.textContent = line;
      block.append(p);
    }
    editor.firstElementChild.after(block);
  }

  toolbar() {
    const bar = document.createElement("div");
    bar.className = "ax-format";
    for (const [command, label, text] of [["bold", "bold", "B"], ["italic", "italic", "I"],
      ["underline", "underline", "U"], ["insertUnorderedList", "bullets", "•"],
      ["insertOrderedList", "numbers", "1."], ["createLink", "link", "🔗"]]) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = text;
      b.title = t(label);
      b.setAttribute("aria-label", t(label));
      b.addEventListener("mousedown", (event) => event.preventDefault()); // keep the editor's selection
      b.addEventListener("click", () => {
        let value = null;
        if (command === "createLink") {
          value = prompt(t("link_prompt"), "https://");
          if (!value || !/^(https?:|mailto:)/i.test(value)) return;
        }
        document.execCommand(command, false, value);
        this.dirty = true;
      });
      bar.append(b);
    }
    return bar;
  }

  // Suggestions from the address book while typing the last entry of a recipient field.
  suggestions(input) {
    const list = document.createElement("datalist");
    list.id = `ax-suggest-${input.name}`;
    input.setAttribute("list", list.id);
    document.body.append(list);
    let asked = "";
    input.addEventListener("input", async () => {
      const parts = input.value.split(",");
      const last = parts.pop().trim();
      if (last.length < SUGGEST_AFTER || last === asked) return;
      asked = last;
      const response = await fetch(`${config.suggest}?q=${encodeURIComponent(last)}`, {
        credentials: "same-origin",
      });
      if (!response.ok) return;
      const prefix = parts.length ? `${parts.join(",")}, ` : "";
      list.replaceChildren(...(await response.json()).map((entry) => {
        const option = document.createElement("option");
        option.value = prefix + entry.value;
        return option;
      }));
    });
  }

  // An attachment already stored (a forwarded message's, a draft's): sent again by its blobId.
  listed(part) {
    const item = document.createElement("li");
    item.textContent = `${part.name || t("attachments")} (${Math.max(1, Math.round((part.size || 0) / 1024))} KB)`;
    this.fileList.append(item);
    this.attachments.push({ blobId: part.blobId, type: part.type, name: part.name, size: part.size,
      disposition: "attachment" });
  }

  async attach(files) {
    for (const file of files) {
      const item = document.createElement("li");
      item.textContent = t("uploading", { name: file.name });
      this.fileList.append(item);
      try {
        const blob = await this.jmap.upload(file);
        this.attachments.push({ blobId: blob.blobId, type: blob.type || file.type, name: file.name,
          size: blob.size, disposition: "attachment" });
        item.textContent = `${file.name} (${Math.max(1, Math.round(file.size / 1024))} KB)`;
        this.dirty = true;
      } catch (error) {
        item.textContent = t("failed", { reason: error.message });
      }
    }
  }

  // The draft as an Email object (RFC 8621 4.6), its HTML cleaned by the server first.
  async email(keywords) {
    const response = await fetch(config.clean, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": config.csrf },
      body: JSON.stringify({ html: this.editor.innerHTML }),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const body = await response.json();
    const drafts = this.folders.byRole("drafts");
    const email = {
      mailboxIds: { [drafts.id]: true },
      keywords,
      from: [{ name: config.name, email: config.address }],
      to: parseAddresses(this.fields.to.value),
      subject: this.fields.subject.value,
      bodyValues: { text: { value: body.text }, html: { value: body.html } },
      textBody: [{ partId: "text", type: "text/plain" }],
      htmlBody: [{ partId: "html", type: "text/html" }],
      attachments: this.attachments,
    };
    const cc = parseAddresses(this.fields.cc.value);
    const bcc = parseAddresses(this.fields.bcc.value);
    if (cc.length) email.cc = cc;
    if (bcc.length) email.bcc = bcc;
    if (this.inReplyTo) {
      email.inReplyTo = this.inReplyTo.messageId;
      email.references = this.inReplyTo.references;
    }
    return email;
  }

  // Autosave: the new draft created and the previous one destroyed, in one request.
  async save() {
    if (this.saving) return this.saving;
    this.dirty = false;
    this.saving = (async () => {
      try {
        const args = { create: { draft: await this.email({ $draft: true, $seen: true }) } };
        if (this.draftId) args.destroy = [this.draftId];
        const answer = await this.jmap.call("Email/set", args);
        if (answer.notCreated?.draft) throw new Error(answer.notCreated.draft.description || answer.notCreated.draft.type);
        this.draftId = answer.created.draft.id;
        this.status.textContent = t("draft_saved", { time: new Date().toLocaleTimeString() });
      } catch (error) {
        this.dirty = true;
        this.status.textContent = t("failed", { reason: error.message });
      } finally {
        this.saving = null;
      }
    })();
    return this.saving;
  }

  async send() {
    this.status.textContent = t("sending");
    clearInterval(this.timer);
    if (this.saving) await this.saving;
    try {
      const identities = await this.jmap.call("Identity/get", { ids: null });
      const identity = identities.list.find((i) => i.email.toLowerCase() === config.address.toLowerCase())
        ?? identities.list[0];
      const drafts = this.folders.byRole("drafts");
      const sent = this.folders.byRole("sent");
      const create = { draft: await this.email({ $draft: true, $seen: true }) };
      const calls = [["Email/set", { create, destroy: this.draftId ? [this.draftId] : [] }, "e"]];
      const update = { "keywords/$draft": null };
      if (sent) {
        update[`mailboxIds/${drafts.id}`] = null;
        update[`mailboxIds/${sent.id}`] = true;
      }
      calls.push(["EmailSubmission/set", {
        create: { send: { identityId: identity.id, emailId: "#draft" } },
        onSuccessUpdateEmail: { "#send": update },
      }, "s"]);
      if (this.answering) { // after the send, in the same request; its failure does not undo the send
        calls.push(["Email/set", { update: { [this.answering.id]: { [`keywords/${this.answering.keyword}`]: true } } }, "k"]);
      }
      const answers = await this.jmap.request(calls);
      for (const [kind, result, id] of answers) {
        if (id === "k") continue;
        if (kind === "error") throw new Error(result.description || result.type);
        const refused = result.notCreated && Object.values(result.notCreated)[0];
        if (refused) throw new Error(refused.description || refused.type);
      }
      this.draftId = null;
      this.close();
      this.notify(t("sent"));
    } catch (error) {
      this.status.textContent = t("failed", { reason: error.message });
      this.timer = setInterval(() => { if (this.dirty) this.save(); }, AUTOSAVE_MS);
    }
  }

  async discard() {
    clearInterval(this.timer);
    if (this.saving) await this.saving;
    if (this.draftId) await this.jmap.call("Email/set", { destroy: [this.draftId] }).catch(() => {});
    this.close();
  }

  close() {
    clearInterval(this.timer);
    this.open = false;
    document.querySelectorAll("datalist[id^=ax-suggest-]").forEach((node) => node.remove());
    this.onClose();
  }
}

// "Name <a@b>, c@d" -> [{name, email}], the forms a person types.
export function parseAddresses(text) {
  const found = [];
  for (const part of text.split(/[,;]/)) {
    const entry = part.trim();
    if (!entry) continue;
    const angle = /^(.*)<([^<>]+)>$/.exec(entry);
    if (angle) found.push({ name: angle[1].trim().replace(/^"|"$/g, "") || null, email: angle[2].trim() });
    else found.push({ name: null, email: entry });
  }
  return found;
}

// The quoted original of a reply or forward, built as DOM text (never the message's own HTML).
export function quoted(email, text, kind) {
  const block = document.createElement("blockquote");
  const intro = document.createElement("p");
  const who = addresses(email.from);
  intro.textContent = kind === "forward"
    ? `${t("forwarded")}: ${who}, ${email.subject || ""}`
    : t("wrote", { date: new Date(email.sentAt || email.receivedAt).toLocaleString(), who });
  block.append(intro);
  for (const line of text.split("\n")) {
    const p = document.createElement("p");
    p.textContent = line;
    block.append(p);
  }
  return block;
}
