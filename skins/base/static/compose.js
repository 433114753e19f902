// The compose page's improvements; the page works without them (plain form posts).
//
// * An HTML editor: the HTML source textarea becomes a formatting toolbar over a contenteditable area
//   (bold, italic, underline, strike, font, size, colour, lists, links); what it holds is copied back
//   into the textarea before every post, and the server sanitises it again (nh3) before sending.
//   Formatting is written as tags and attributes, never inline styles, which the page's CSP refuses.
// * Draft autosave every AUTOSAVE_MS while something changed, as a "save" post asking for JSON.
// * Recipient suggestions fetched while typing into the <datalist> the fields already use.
// * Switching the format or the identity (its signature) without pressing a button.

const AUTOSAVE_MS = 30000;

const form = document.getElementById("compose-form");
if (form) {
  const source = form.querySelector("textarea[data-rich-editor]");
  const editor = source ? richEditor(source) : null;
  let dirty = false;
  let saving = false;

  const syncEditor = () => {
    if (editor) source.value = editor.innerHTML;
  };
  form.addEventListener("submit", syncEditor);
  form.addEventListener("input", () => { dirty = true; });
  if (editor) editor.addEventListener("input", () => { dirty = true; });

  const status = document.getElementById("autosave-status");
  setInterval(async () => {
    if (!dirty || saving) return;
    saving = true;
    dirty = false;
    syncEditor();
    const data = new FormData(form);
    data.delete("attachments");
    data.set("action", "save");
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: data,
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const answer = await response.json();
      if (answer.draft_uid !== null && answer.draft_uid !== undefined) {
        form.elements.draft_uid.value = String(answer.draft_uid);
        form.elements.message_id.value = answer.message_id;
      }
      if (status) status.textContent = answer.error || status.dataset.saved || "\u2713";
    } catch (error) {
      dirty = true;
    } finally {
      saving = false;
    }
  }, AUTOSAVE_MS);

  for (const radio of form.querySelectorAll("input[name=format_to]")) {
    radio.addEventListener("change", () => {
      syncEditor();
      form.requestSubmit(form.querySelector("button[value=format]"));
    });
  }

  const identity = form.elements.identity;
  let signature = identity ? identity.selectedOptions[0]?.dataset.signature || "" : "";
  if (identity && form.elements.body_text) {
    identity.addEventListener("change", () => {
      const body = form.elements.body_text;
      const next = identity.selectedOptions[0]?.dataset.signature || "";
      if (signature && body.value.endsWith(signature)) {
        body.value = body.value.slice(0, body.value.length - signature.length) + next;
      } else if (next && !body.value.includes(next)) {
        body.value += `\n\n${next}`;
      }
      signature = next;
    });
  }

  suggestRecipients(form);
}

function richEditor(source) {
  const labels = JSON.parse(source.dataset.labels || "{}");
  const label = (key, fallback) => labels[key] || fallback;
  const toolbar = document.createElement("div");
  toolbar.className = "editor-toolbar";
  toolbar.setAttribute("role", "toolbar");
  const area = document.createElement("div");
  area.className = "editor-area body";
  area.contentEditable = "true";
  area.setAttribute("role", "textbox");
  area.setAttribute("aria-multiline", "true");
  area.innerHTML = source.value;
  const run = (command, value = null) => {
    area.focus();
    document.execCommand("styleWithCSS", false, false);
    document.execCommand(command, false, value);
    area.dispatchEvent(new Event("input"));
  };
  const buttons = [
    ["bold", "B", label("bold", "Bold")], ["italic", "I", label("italic", "Italic")],
    ["underline", "U", label("underline", "Underline")],
    ["strikeThrough", "S", label("strike", "Strike through")],
    ["insertUnorderedList", "\u2022", label("bullets", "Bulleted list")],
    ["insertOrderedList", "1.", label("numbers", "Numbered list")],
  ];
  for (const [command, label, title] of buttons) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = label;
    button.title = title;
    button.setAttribute("aria-label", title);
    button.dataset.command = command;
    button.addEventListener("click", () => run(command));
    toolbar.append(button);
  }
  const link = document.createElement("button");
  link.type = "button";
  link.textContent = label("link", "Link");
  link.title = link.textContent;
  link.dataset.command = "createLink";
  link.addEventListener("click", () => {
    const url = window.prompt(label("url", "Link address"), "https://");
    if (url && /^(https?:|mailto:)/i.test(url)) run("createLink", url);
  });
  toolbar.append(link);
  const fonts = ["serif", "sans-serif", "monospace", "Georgia", "Verdana"];
  toolbar.append(choice("fontName", label("font", "Font"), fonts, run));
  toolbar.append(choice("fontSize", label("size", "Size"), ["1", "2", "3", "4", "5", "6", "7"], run));
  const colour = document.createElement("input");
  colour.type = "color";
  colour.title = label("colour", "Colour");
  colour.dataset.command = "foreColor";
  colour.addEventListener("change", () => run("foreColor", colour.value));
  toolbar.append(colour);
  source.hidden = true;
  source.after(toolbar, area);
  return area;
}

function choice(command, title, values, run) {
  const select = document.createElement("select");
  select.dataset.command = command;
  select.title = title;
  const empty = document.createElement("option");
  empty.value = "";
  empty.textContent = select.title;
  select.append(empty);
  for (const value of values) {
    const option = document.createElement("option");
    option.value = value;
    option.textContent = value;
    select.append(option);
  }
  select.addEventListener("change", () => {
    if (select.value) run(command, select.value);
    select.value = "";
  });
  return select;
}

function suggestRecipients(form) {
  const url = form.dataset.suggestUrl;
  const list = document.getElementById("recipient-suggestions");
  if (!url || !list) return;
  let timer = null;
  for (const field of form.querySelectorAll("input.recipients")) {
    field.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const cut = Math.max(field.value.lastIndexOf(","), field.value.lastIndexOf(";"));
        const before = cut >= 0 ? `${field.value.slice(0, cut + 1)} ` : "";
        const typed = field.value.slice(cut + 1).trim();
        if (typed.length < 2) return;
        const response = await fetch(`${url}?q=${encodeURIComponent(typed)}`, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        if (!response.ok) return;
        const found = await response.json();
        list.replaceChildren(...found.map((item) => {
          const option = document.createElement("option");
          option.value = before + item.value;
          return option;
        }));
      }, 200);
    });
  }
}
