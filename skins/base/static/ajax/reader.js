// The reader pane: the message's headers from JMAP, its body as the server's sanitised documents in
// sandboxed frames (the Standard reader's body route, with its own CSP: the page never puts a message's
// HTML into its own DOM), attachments as download links, remote images held back until allowed. In
// conversation view every message of the thread is shown, oldest first. A message also gets what the
// Standard reader offers beside its body: the meeting panel (meeting.js), the read-receipt question
// (receipt.js) and "Add sender to contacts" (add_sender.js).

import { addSenderButton } from "./add_sender.js";
import { config, t } from "./i18n.js";
import { folderAndUid } from "./jmap.js";
import { meetingPanel } from "./meeting.js";
import { receiptQuestion } from "./receipt.js";

const HEADER_PROPERTIES = [
  "id", "threadId", "mailboxIds", "keywords", "from", "to", "cc", "replyTo", "subject", "sentAt",
  "receivedAt", "messageId", "references",
];

export class Reader {
  constructor(root, jmap, { onAction, onRead, allows = () => true, notify = () => {} }) {
    this.root = root;
    this.jmap = jmap;
    this.onAction = onAction;
    this.allows = allows;
    this.onRead = onRead;
    this.notify = notify;
    this.email = null;
    this.placeholder();
  }

  placeholder() {
    const text = document.createElement("p");
    text.className = "ax-placeholder";
    text.textContent = t("no_message");
    this.root.replaceChildren(text);
    this.email = null;
    this.showing = null;
  }

  // The headers are drawn as soon as they are known, the bodies after them: a slow body never holds
  // back the subject and sender. A later show() wins over one still waiting for the server.
  async show(emailId, { conversation = false } = {}) {
    const showing = Symbol(emailId);
    this.showing = showing;
    let ids = [emailId];
    const first = await this.jmap.call("Email/get", { ids: [emailId], properties: HEADER_PROPERTIES });
    if (this.showing !== showing) return;
    if (!first.list.length) return this.placeholder();
    this.email = first.list[0];
    if (conversation) {
      const thread = await this.jmap.call("Thread/get", { ids: [this.email.threadId] });
      ids = thread.list[0]?.emailIds ?? ids;
    }
    const emails = ids.length === 1
      ? first.list
      : (await this.jmap.call("Email/get", { ids, properties: HEADER_PROPERTIES })).list;
    if (this.showing !== showing) return;
    const articles = emails.map((email) => [email, this.message(email, email.id === emailId)]);
    this.root.replaceChildren(this.toolbar(), ...articles.map(([, article]) => article));
    this.root.scrollTop = 0;
    for (const [email, article] of articles) {
      if (this.showing !== showing) return;
      await this.body(article, email, false);
    }
  }

  // As the Standard reader: answer, mark unread, flag, move and delete (main.js does each, as for the
  // list's menu); the unread and flag buttons name what they will do to the message shown. A button the
  // folder's rights (myRights) would refuse is left out (main.js's allowed(), as for the menu and keys).
  toolbar() {
    const bar = document.createElement("div");
    bar.className = "ax-toolbar";
    for (const [action, label] of [["reply", "reply"], ["replyAll", "reply_all"], ["forward", "forward"],
      ["unread", "mark_unread"], ["flag", "flag"], ["move", "move_to_more"], ["delete", "delete"]]) {
      if (!this.allows(this.email, action)) continue;
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = t(label);
      button.dataset.action = action;
      if (action === "move") button.setAttribute("aria-haspopup", "menu");
      button.addEventListener("click", () => this.onAction(action, this.email, button));
      bar.append(button);
    }
    this.bar = bar;
    this.labelToggles();
    return bar;
  }

  labelToggles() {
    const keywords = this.email?.keywords || {};
    const unread = this.bar?.querySelector("[data-action=unread]");
    if (unread) unread.textContent = t(keywords.$seen ? "mark_unread" : "mark_read");
    const flag = this.bar?.querySelector("[data-action=flag]");
    if (flag) {
      flag.textContent = t(keywords.$flagged ? "unflag" : "flag");
      flag.setAttribute("aria-pressed", String(Boolean(keywords.$flagged)));
    }
  }

  // A keyword set or cleared elsewhere (the buttons, the keys, the list's menu) on the message shown.
  keywordsChanged(ids, keyword, on) {
    if (!this.email || !ids.includes(this.email.id)) return;
    const keywords = { ...this.email.keywords };
    if (on) keywords[keyword] = true;
    else delete keywords[keyword];
    this.email = { ...this.email, keywords };
    this.labelToggles();
  }

  message(email, current) {
    const article = document.createElement("article");
    article.className = "ax-message";
    if (current) article.classList.add("ax-current");
    const heading = document.createElement("h2");
    heading.textContent = email.subject || t("no_subject");
    const table = document.createElement("dl");
    table.className = "ax-headers";
    const line = (label, value) => {
      if (!value) return;
      const name = document.createElement("dt");
      name.textContent = t(label);
      const text = document.createElement("dd");
      text.textContent = value;
      table.append(name, text);
    };
    line("from", addresses(email.from));
    line("to", addresses(email.to));
    line("cc", addresses(email.cc));
    line("date", new Date(email.sentAt || email.receivedAt).toLocaleString());
    article.append(heading, table);
    const addSender = addSenderButton(email, this.jmap, { notify: this.notify });
    if (addSender) table.querySelector("dd")?.append(" ", addSender);
    return article;
  }

  // The body documents and attachments of one message (webmail/ajax/views.py read()). ``text`` asks for
  // the plain-text view of an HTML message (the Standard reader's ``?view=text``); it is kept for the
  // "Show images" reload of the same article.
  async body(article, email, images, text = article.dataset.view === "text") {
    const emailId = email.id;
    const place = folderAndUid(emailId);
    if (!place) return;
    const query = new URLSearchParams();
    if (images) query.set("images", "1");
    if (text) query.set("view", "text");
    const response = await fetch(`${config.read}${place[0]}/${place[1]}?${query}`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) return;
    const view = await response.json();
    this.onRead?.(emailId);
    if (this.email?.id === emailId && !this.email.keywords?.$seen) this.keywordsChanged([emailId], "$seen", true);
    article.dataset.view = view.text_view ? "text" : "";
    article.querySelectorAll(".ax-body, .ax-blocked, .ax-attachments, .ax-message-links, .ax-receipt, .ax-meeting,"
      + " .ax-too-long, .ax-h-extra").forEach((node) => node.remove());
    extraHeaders(article, view);
    const links = pageLinks(view);
    if (view.has_html || view.text_view) {
      const toggle = document.createElement("button");
      toggle.type = "button";
      toggle.className = "ax-link ax-view-text";
      toggle.textContent = t(view.text_view ? "formatted_text" : "plain_text");
      toggle.addEventListener("click", () => this.body(article, email, images, !view.text_view));
      links.prepend(toggle);
    }
    article.append(links);
    const receipt = receiptQuestion(view, email, this.jmap, { notify: this.notify });
    if (receipt) article.append(receipt);
    const meeting = meetingPanel(view, this.jmap, { notify: this.notify });
    if (meeting) article.append(meeting);
    if (view.blocked_images && !view.remote_images) {
      const notice = document.createElement("p");
      notice.className = "ax-blocked";
      notice.textContent = `${t("images_blocked", { count: view.blocked_images })} `;
      const allow = document.createElement("button");
      allow.type = "button";
      allow.textContent = t("show_images");
      allow.addEventListener("click", () => this.body(article, email, true));
      const always = document.createElement("button");
      always.type = "button";
      always.textContent = t("always_show_images");
      always.addEventListener("click", async () => {
        const answer = await fetch(view.trust, {
          method: "POST",
          credentials: "same-origin",
          headers: { "X-CSRFToken": config.csrf, Accept: "application/json" },
        });
        if (answer.ok) this.body(article, email, true);
        else always.replaceWith(t("failed", { reason: `HTTP ${answer.status}` }));
      });
      notice.append(allow, " ", always);
      article.append(notice);
    }
    for (const section of view.sections) {
      const frame = document.createElement("iframe");
      frame.className = "ax-body";
      frame.setAttribute("sandbox", config.sandbox);
      frame.setAttribute("referrerpolicy", "no-referrer");
      frame.title = t("reader");
      frame.src = section.url;
      frame.addEventListener("load", () => fitFrame(frame));
      article.append(frame);
      if (section.truncated) {
        const notice = document.createElement("p");
        notice.className = "ax-too-long";
        notice.textContent = t("too_long");
        article.append(notice);
      }
    }
    if (view.attachments.length) article.append(attachmentList(view.attachments));
  }
}

// "Sent by" (a Sender other than From) under From, and "Reply to" (when it is not From) above the date,
// where the Standard reader puts them; the server decides both (webmail/reading/headers.py).
function extraHeaders(article, view) {
  const table = article.querySelector(".ax-headers");
  if (!table) return;
  const row = (label, value, kind) => {
    const name = document.createElement("dt");
    name.className = `ax-h-extra ax-h-${kind}`;
    name.textContent = t(label);
    const text = document.createElement("dd");
    text.className = `ax-h-extra ax-h-${kind}`;
    text.textContent = value;
    return [name, text];
  };
  const dts = [...table.querySelectorAll("dt")];
  if (view.sender) {
    const fromValue = dts[0]?.nextElementSibling;
    (fromValue ?? table.lastElementChild).after(...row("sent_by", t("sent_on_behalf", { sender: view.sender }), "sender"));
  }
  if (view.reply_to) {
    const date = dts.find((dt) => dt.textContent === t("date"));
    const cells = row("reply_to", view.reply_to, "reply-to");
    if (date) date.before(...cells);
    else table.append(...cells);
  }
}

// Name (a download link), content type and size, and a thumbnail linking to the full image for the
// raster images the server shows inline (the Standard reader's image route, same origin under the CSP).
function attachmentList(files) {
  const list = document.createElement("ul");
  list.className = "ax-attachments";
  list.setAttribute("aria-label", t("attachments"));
  for (const file of files) {
    const item = document.createElement("li");
    item.className = "ax-attachment";
    const link = document.createElement("a");
    link.className = "ax-attachment-name";
    link.href = file.url;
    link.textContent = file.name;
    const meta = document.createElement("span");
    meta.className = "ax-attachment-meta";
    meta.textContent = ` ${file.type}, ${file.size_text}`;
    item.append(link, meta);
    if (file.image) {
      const view = document.createElement("a");
      view.className = "ax-attachment-view";
      view.href = file.image;
      view.target = "_blank";
      view.rel = "noopener";
      const thumb = document.createElement("img");
      thumb.className = "ax-attachment-thumb";
      thumb.src = file.image;
      thumb.alt = file.name;
      view.append(thumb);
      item.append(view);
    }
    list.append(item);
  }
  return list;
}

// The Standard reader's pages for the message's source, its .eml file and a printable copy, in a new
// tab (the pane keeps its place).
function pageLinks(view) {
  const links = document.createElement("p");
  links.className = "ax-message-links";
  for (const [key, label] of [["source", "view_source"], ["download", "download_message"], ["print", "print"]]) {
    const link = document.createElement("a");
    link.href = view[key];
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = t(label);
    links.append(link);
  }
  return links;
}

// A sandboxed frame without allow-same-origin cannot be measured from here; it keeps the height the
// style sheet gives it and scrolls inside.
function fitFrame(frame) {
  frame.classList.add("ax-loaded");
}

export function addresses(list) {
  return (list || []).map((a) => (a.name ? `${a.name} <${a.email}>` : a.email)).join(", ");
}
