// The composer, in the reader's pane: recipients with suggestions (the Standard composer's JSON route),
// a small HTML editor (contenteditable and a toolbar; what it holds is put through the server's sanitiser
// before it is saved or sent), attachments dropped or picked (JMAP upload), a draft saved in Drafts while
// writing (Email/set: the new draft created, the previous one destroyed), and Send (EmailSubmission/set,
// whose onSuccessUpdateEmail moves the draft to Sent). As the Standard composer: the From identity
// (Identity/get: own address, aliases, "send as", "send on behalf" with its Sender), its signature,
// a read receipt request, the priority, plain text or HTML, and a forward inline or as an attachment.

import { config, t } from "./i18n.js";
import { addresses } from "./reader.js";

const AUTOSAVE_MS = 5000;
const SUGGEST_AFTER = 2; // characters typed before suggestions are asked for
const SENDER = "fieldpost:sender"; // an on-behalf identity's Sender (webmail/jmap/mail/identity.py)
// what the Standard composer writes for a priority (mailflow/compose.py)
const PRIORITIES = { high: ["high", "1 (Highest)"], low: ["low", "5 (Lowest)"] };

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
  // $answered or $forwarded keyword once sent; a forward's attachments carried over by blobId, and with
  // forwardOf, the original itself, which "Forward as attachment" carries instead of the quote); or a
  // draft carried on (draftId, bcc, body: its HTML, cleaned by the server, or text: its plain text, and
  // its attachments). sentTo: the addresses the original went to (a reply's identity is the one among
  // them, as in Standard); from and sender: a draft's, whose identity is kept.
  start({ to = "", cc = "", bcc = "", subject = "", quote = null, inReplyTo = null, answering = null,
    attachments = [], draftId = null, body = null, text = null, sentTo = [], from = null, sender = null,
    forwardOf = null, asAttachment = false, receipt = false, priority = "normal" } = {}) {
    this.open = true;
    this.draftId = draftId;
    this.dirty = false;
    this.saving = null;
    this.attachments = [];
    this.inReplyTo = inReplyTo;
    this.answering = answering;
    this.identity = null;
    this.identities = [];
    this.format = text !== null && body === null ? "text" : "html";
    const form = document.createElement("form");
    form.className = "ax-composer";
    form.noValidate = true;
    this.fields = {};
    this.fromSelect = document.createElement("select");
    this.fromSelect.name = "from";
    this.fromSelect.addEventListener("change", () => this.chooseIdentity(this.fromSelect.value));
    form.append(this.field("from", this.fromSelect));
    for (const [name, value] of [["to", to], ["cc", cc], ["bcc", bcc], ["subject", subject]]) {
      const input = document.createElement("input");
      input.name = name;
      input.value = value;
      input.autocomplete = "off";
      if (name !== "subject") this.suggestions(input);
      form.append(this.field(name, input));
      this.fields[name] = input;
    }
    form.append(this.options({ receipt, priority, forwardOf, asAttachment }));
    this.formatBar = this.toolbar();
    form.append(this.formatBar);
    this.editor = document.createElement("div");
    this.editor.className = "ax-editor";
    this.editor.contentEditable = "true";
    this.editor.setAttribute("role", "textbox");
    this.editor.setAttribute("aria-multiline", "true");
    this.editor.setAttribute("aria-label", t("message_body"));
    this.plain = document.createElement("textarea");
    this.plain.className = "ax-plain";
    this.plain.name = "text";
    this.plain.setAttribute("aria-label", t("message_body"));
    this.quote = quote;
    if (body !== null) {
      this.editor.innerHTML = body; // the server's sanitiser made it (views.clean), as for a send
    } else if (text !== null) {
      this.plain.value = text;
    } else {
      const first = document.createElement("p");
      first.append(document.createElement("br")); // a line the caret can stand on, above the quote
      this.editor.append(first);
      if (quote) this.editor.append(quote);
    }
    form.append(this.editor, this.plain);
    this.showFormat();
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
    const limits = config.compose_limits;
    if (limits) hint.textContent += ` ${t("limits_hint", { size: limits.attachment_text, total: limits.message_text })}`;
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
    this.forwarded = forwardOf ? { inline: attachments, original: forwardOf } : null;
    for (const part of asAttachment && forwardOf ? [forwardOf] : attachments) this.listed(part);
    if (asAttachment && quote) quote.remove();
    this.root.replaceChildren(form);
    this.timer = setInterval(() => { if (this.dirty) this.save(); }, AUTOSAVE_MS);
    const ready = this.loadIdentities({ sentTo, from, sender, signature: body === null && text === null });
    this.ready = ready.catch((error) => { this.status.textContent = t("failed", { reason: error.message }); });
    if (to) this.writeHere();
    else this.fields.to.focus();
  }

  // The focus in the body with the caret at its start (the first line, never inside a quote).
  writeHere() {
    if (this.format === "text") {
      this.plain.focus();
      this.plain.setSelectionRange(0, 0);
      return;
    }
    this.editor.focus();
    const first = this.editor.firstElementChild;
    if (!first) return;
    const range = document.createRange();
    range.setStart(first, 0);
    range.collapse(true);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  field(name, control) {
    const label = document.createElement("label");
    label.className = "ax-field";
    const caption = document.createElement("span");
    caption.textContent = t(name);
    label.append(caption, control);
    return label;
  }

  // Receipt, priority, format (and, for a forward, "as attachment"), as the Standard form's options.
  options({ receipt, priority, forwardOf, asAttachment }) {
    const row = document.createElement("p");
    row.className = "ax-options";
    const check = (name, label, checked, onChange) => {
      const holder = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.name = name;
      box.checked = checked;
      box.addEventListener("change", () => onChange(box.checked));
      holder.append(box, ` ${t(label)}`);
      row.append(holder);
      return box;
    };
    const menu = (name, label, choices, value, onChange) => {
      const holder = document.createElement("label");
      const select = document.createElement("select");
      select.name = name;
      for (const [choice, text] of choices) select.append(new Option(t(text), choice));
      select.value = value;
      select.addEventListener("change", () => onChange(select.value));
      holder.append(`${t(label)} `, select);
      row.append(holder);
      return select;
    };
    this.receipt = check("receipt", "ask_receipt", receipt, () => {});
    this.priority = menu("priority", "priority",
      [["high", "priority_high"], ["normal", "priority_normal"], ["low", "priority_low"]],
      PRIORITIES[priority] ? priority : "normal", () => {});
    this.formatMenu = menu("format", "format", [["html", "format_html"], ["text", "format_text"]],
      this.format, (value) => this.switchFormat(value).catch((error) => {
        this.status.textContent = t("failed", { reason: error.message });
      }));
    if (forwardOf) check("as_attachment", "forward_attached", asAttachment, (on) => this.forwardAs(on));
    return row;
  }

  // The identities of Identity/get in the From menu; the one chosen: a draft's, else for a reply the
  // first of the user's addresses the original went to (not one sent on behalf of), else the account's.
  async loadIdentities({ sentTo, from, sender, signature }) {
    const select = this.fromSelect;
    const answer = await this.jmap.call("Identity/get", { ids: null });
    if (select !== this.fromSelect || !this.open) return;
    this.identities = answer.list;
    for (const identity of this.identities) select.append(new Option(identityLabel(identity), identity.id));
    const same = (a, b) => (a || "").toLowerCase() === (b || "").toLowerCase();
    const own = this.identities.filter((i) => !i[SENDER]);
    let chosen = null;
    if (from) {
      chosen = sender
        ? this.identities.find((i) => i[SENDER] && same(i.email, from))
        : own.find((i) => same(i.email, from));
    }
    for (const address of sentTo) {
      chosen ??= own.find((i) => same(i.email, address));
    }
    chosen ??= own.find((i) => same(i.email, config.address)) ?? this.identities[0];
    if (!chosen) return;
    select.value = chosen.id;
    this.identity = chosen;
    if (signature) this.placeSignature(null, chosen);
  }

  chooseIdentity(id) {
    const next = this.identities.find((i) => i.id === id);
    if (!next) return;
    const previous = this.identity;
    this.identity = next;
    this.placeSignature(previous, next);
    this.dirty = true;
  }

  // The identity's signature under the first line, above a quoted original, after the usual "-- "
  // line; choosing another identity swaps it (as the Standard composer does).
  placeSignature(previous, next) {
    const text = next?.textSignature?.trim() || "";
    const old = previous?.textSignature?.trim() || "";
    if (this.format === "text") {
      const before = old ? `-- \n${old}` : null;
      const after = text ? `-- \n${text}` : "";
      if (before && this.plain.value.includes(before)) {
        this.plain.value = this.plain.value.replace(before, after);
      } else if (after) {
        const [first, ...rest] = this.plain.value.split("\n");
        this.plain.value = [first, "", after, ...rest].join("\n");
      }
      return;
    }
    let block = this.editor.querySelector(".ax-signature");
    if (!text) {
      block?.remove();
      return;
    }
    if (!block) {
      block = document.createElement("div");
      block.className = "ax-signature";
      if (this.editor.firstElementChild) this.editor.firstElementChild.after(block);
      else this.editor.append(block);
    }
    block.replaceChildren(...["-- ", ...text.split("\n")].map((line) => {
      const p = document.createElement("p");
      p.textContent = line;
      return p;
    }));
  }

  showFormat() {
    const text = this.format === "text";
    this.editor.hidden = text;
    this.plain.hidden = !text;
    this.formatBar.hidden = text;
  }

  // Plain text or HTML, converted as the Standard composer's "Switch format" does: the HTML made text by
  // the server's sanitiser, the text made paragraphs.
  async switchFormat(wanted) {
    if (wanted === this.format) return;
    if (wanted === "text") {
      this.plain.value = (await this.cleaned()).text.replace(/\n+$/, "");
    } else {
      this.editor.replaceChildren(...this.plain.value.split(/\n{2,}/).map((paragraph) => {
        const p = document.createElement("p");
        paragraph.split("\n").forEach((line, i) => {
          if (i) p.append(document.createElement("br"));
          p.append(line);
        });
        return p;
      }));
    }
    this.format = wanted;
    this.formatMenu.value = wanted;
    this.showFormat();
    this.dirty = true;
  }

  // "Forward as attachment": the original as one message/rfc822 part (its blob, never fetched here) in
  // place of the quote and the original's attachments; unticked, back to the inline forward.
  forwardAs(attached) {
    if (!this.forwarded) return;
    const { inline, original } = this.forwarded;
    const carried = new Set([original, ...inline].map((part) => part.blobId));
    this.attachments = this.attachments.filter((part) => !carried.has(part.blobId));
    this.fileList.querySelectorAll("li").forEach((item) => {
      if (carried.has(item.dataset.blobId)) item.remove();
    });
    for (const part of attached ? [original] : inline) this.listed(part);
    if (this.quote && this.format === "html") {
      if (attached) this.quote.remove();
      else if (!this.quote.isConnected) this.editor.append(this.quote);
    }
    this.dirty = true;
  }

  toolbar() {
    const bar = document.createElement("div");
    bar.className = "ax-format";
    for (const [command, label, text] of [["bold", "bold", "B"], ["italic", "italic", "I"],
      ["underline", "underline", "U"], ["strikeThrough", "fmt_strike", "S"],
      ["insertUnorderedList", "bullets", "•"], ["insertOrderedList", "numbers", "1."],
      ["createLink", "link", "🔗"]]) {
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
    // font, size and colour as the Standard editor offers them: <font> elements, which the server's
    // sanitiser keeps (styleWithCSS off, so no style attributes)
    const apply = (command, value) => {
      this.editor.focus();
      document.execCommand("styleWithCSS", false, false);
      document.execCommand(command, false, value);
      this.dirty = true;
    };
    for (const [command, label, values] of [
      ["fontName", "fmt_font", ["serif", "sans-serif", "monospace", "Georgia", "Verdana"]],
      ["fontSize", "fmt_size", ["1", "2", "3", "4", "5", "6", "7"]]]) {
      const select = document.createElement("select");
      select.name = command;
      select.title = t(label);
      select.setAttribute("aria-label", t(label));
      select.append(new Option(t(label), ""), ...values.map((value) => new Option(value, value)));
      select.addEventListener("change", () => {
        if (select.value) apply(command, select.value);
        select.value = "";
      });
      bar.append(select);
    }
    const colour = document.createElement("input");
    colour.type = "color";
    colour.name = "foreColor";
    colour.title = t("fmt_colour");
    colour.setAttribute("aria-label", t("fmt_colour"));
    colour.addEventListener("change", () => apply("foreColor", colour.value));
    bar.append(colour);
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

  // An attachment already stored (a forwarded message's, a draft's, an upload): sent again by its
  // blobId; "Remove" drops it from the message.
  listed(part) {
    const item = document.createElement("li");
    item.dataset.blobId = part.blobId;
    this.fileList.append(item);
    this.describe(item, part);
    this.attachments.push({ blobId: part.blobId, type: part.type, name: part.name, size: part.size,
      disposition: "attachment" });
  }

  describe(item, part) {
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "ax-remove";
    remove.textContent = t("remove");
    remove.setAttribute("aria-label", t("remove_named", { name: part.name || t("attachments") }));
    remove.addEventListener("click", () => {
      const at = this.attachments.findIndex((a) => a.blobId === part.blobId);
      if (at >= 0) this.attachments.splice(at, 1);
      item.remove();
      this.dirty = true;
    });
    const label = document.createElement("span");
    label.className = "ax-file";
    label.textContent = `${part.name || t("attachments")} (${Math.max(1, Math.round((part.size || 0) / 1024))} KB)`;
    item.replaceChildren(label, " ", remove);
  }

  async attach(files) {
    for (const file of files) {
      const item = document.createElement("li");
      item.textContent = t("uploading", { name: file.name });
      this.fileList.append(item);
      const limits = config.compose_limits;
      if (limits && file.size > limits.attachment) { // as the Standard composer refuses it, before upload
        item.textContent = t("file_too_large", { name: file.name, limit: limits.attachment_text });
        item.className = "ax-refused";
        continue;
      }
      try {
        const blob = await this.jmap.upload(file);
        const part = { blobId: blob.blobId, type: blob.type || file.type, name: file.name, size: blob.size };
        this.attachments.push({ ...part, disposition: "attachment" });
        item.dataset.blobId = blob.blobId;
        this.describe(item, part);
        this.dirty = true;
      } catch (error) {
        item.textContent = t("failed", { reason: error.message });
      }
    }
  }

  // The editor's HTML through the server's sanitiser, with its plain-text twin.
  async cleaned() {
    const response = await fetch(config.clean, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": config.csrf },
      body: JSON.stringify({ html: this.editor.innerHTML }),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  }

  // The draft as an Email object (RFC 8621 4.6), its HTML cleaned by the server first (a plain-text
  // message has no HTML part). From is the chosen identity's address (with Sender when it sends on
  // behalf of a mailbox); a read receipt asks at the From address, as the Standard composer writes it.
  // strict (sending): every recipient must be an address; a draft keeps what is not one yet as typed,
  // in X-Fieldpost-Draft-To/-Cc/-Bcc (the Standard composer's fields), so Drafts holds no broken To.
  async email(keywords, { strict = false } = {}) {
    await this.ready;
    const recipients = {};
    const typed = {};
    for (const [name, field] of [["to", "To"], ["cc", "Cc"], ["bcc", "Bcc"]]) {
      const found = parseAddresses(this.fields[name].value);
      recipients[name] = found.filter((a) => isAddress(a.email));
      const rest = found.filter((a) => !isAddress(a.email))
        .map((a) => (a.name ? `${a.name} <${a.email}>` : a.email).replace(/\s+/g, " ")).join(", ");
      if (rest && strict) throw new Error(t("not_addresses", { entries: rest }));
      if (rest) typed[`header:X-Fieldpost-Draft-${field}:asText`] = rest;
    }
    const identity = this.identity;
    const drafts = this.folders.byRole("drafts");
    const from = identity
      ? { name: identity.name || null, email: identity.email }
      : { name: config.name, email: config.address };
    const email = {
      mailboxIds: { [drafts.id]: true },
      keywords,
      from: [from],
      to: recipients.to,
      subject: this.fields.subject.value,
      attachments: this.attachments,
      ...typed,
    };
    if (this.format === "text") {
      email.bodyValues = { text: { value: this.plain.value } };
      email.textBody = [{ partId: "text", type: "text/plain" }];
    } else {
      const body = await this.cleaned();
      email.bodyValues = { text: { value: body.text }, html: { value: body.html } };
      email.textBody = [{ partId: "text", type: "text/plain" }];
      email.htmlBody = [{ partId: "html", type: "text/html" }];
    }
    if (identity?.[SENDER]) email.sender = [identity[SENDER]];
    if (recipients.cc.length) email.cc = recipients.cc;
    if (recipients.bcc.length) email.bcc = recipients.bcc;
    if (this.inReplyTo) {
      email.inReplyTo = this.inReplyTo.messageId;
      email.references = this.inReplyTo.references;
    }
    if (this.receipt.checked) email["header:Disposition-Notification-To"] = ` ${from.email}`;
    const priority = PRIORITIES[this.priority.value];
    if (priority) {
      email["header:Importance"] = ` ${priority[0]}`;
      email["header:X-Priority"] = ` ${priority[1]}`;
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
      await this.ready;
      const identity = this.identity;
      if (!identity) throw new Error(t("no_identity"));
      const drafts = this.folders.byRole("drafts");
      const sent = this.folders.byRole("sent");
      const create = { draft: await this.email({ $draft: true, $seen: true }, { strict: true }) };
      const calls = [["Email/set", { create, destroy: this.draftId ? [this.draftId] : [] }, "e"]];
      const update = { "keywords/$draft": null };
      if (sent) {
        update[`mailboxIds/${drafts.id}`] = null;
        update[`mailboxIds/${sent.id}`] = true;
      }
      const submission = { create: { send: { identityId: identity.id, emailId: "#draft" } } };
      if (sent) submission.onSuccessUpdateEmail = { "#send": update };
      else submission.onSuccessDestroyEmail = ["#send"]; // no Sent folder: sending removes the draft
      calls.push(["EmailSubmission/set", submission, "s"]);
      if (this.answering) { // after the send, in the same request; its failure does not undo the send
        calls.push(["Email/set", { update: { [this.answering.id]: { [`keywords/${this.answering.keyword}`]: true } } }, "k"]);
      }
      const answers = await this.jmap.request(calls);
      let filed = Boolean(sent);
      for (const [kind, result, id] of answers) {
        if (id === "k") continue;
        // the implicit Email/set of onSuccessUpdateEmail (same call id): the copy moved to Sent or not
        if (id === "s" && kind === "Email/set" && result.notUpdated) filed = false;
        // the draft of this request replaced the earlier one, whatever becomes of the send
        if (id === "e" && result.created?.draft) this.draftId = result.created.draft.id;
        if (kind === "error") throw new Error(result.description || result.type);
        const refused = result.notCreated && Object.values(result.notCreated)[0];
        if (refused) throw new Error(refusal(refused, identity));
      }
      this.draftId = null;
      this.close();
      // as the Standard composer: sent all the same, but the user hears that Sent has no copy
      this.notify(filed ? t("sent") : t("sent_not_filed"));
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

// How the From menu names an identity (the Standard form's words for one sent on behalf of a mailbox).
export function identityLabel(identity) {
  const sender = identity[SENDER];
  if (sender) return t("on_behalf", { owner: identity.email, me: sender.email });
  return identity.name ? `${identity.name} <${identity.email}>` : identity.email;
}

// A refused send in the user's words: an identity the account may not use says which address, with
// the server's description (RFC 8621 7.5 SetError) after it; anything else as the server put it.
function refusal(error, identity) {
  const gone = error.type === "invalidProperties" && (error.properties || []).includes("identityId");
  if (gone || error.type === "forbiddenFrom" || error.type === "forbiddenMailFrom") {
    const sender = identity[SENDER];
    const who = sender ? t("on_behalf", { owner: identity.email, me: sender.email }) : identity.email;
    return `${t("refused_identity", { identity: who })} (${error.description || error.type})`;
  }
  return error.description || error.type;
}

// Whether what was typed can stand in an address field: local@domain, nothing RFC 5322 would reject.
function isAddress(text) {
  return /^[^\s@<>()[\],;:"\\]+@[^\s@<>()[\],;:"\\]+$/.test(text);
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
  const when = new Date(email.sentAt || email.receivedAt).toLocaleString();
  if (kind === "forward") { // the Standard forward's summary of the original's header
    intro.textContent = `---------- ${t("forwarded")} ----------`;
    block.append(intro);
    for (const [label, value] of [["from", who], ["date", when], ["subject", email.subject || ""],
      ["to", addresses(email.to)], ["cc", addresses(email.cc)]]) {
      if (!value) continue;
      const p = document.createElement("p");
      p.textContent = `${t(label)}: ${value}`;
      block.append(p);
    }
    block.append(document.createElement("p"));
  } else {
    intro.textContent = t("wrote", { date: when, who });
    block.append(intro);
  }
  for (const line of text.split("\n")) {
    const p = document.createElement("p");
    p.textContent = line;
    block.append(p);
  }
  return block;
}
