// A small modal form in the page: a question, an optional text field, OK and Cancel, and a line where
// the server's refusal is shown so the user can correct the entry without starting again.
// ask() resolves once `submit(value)` succeeds (it throws to refuse, with a message for the user), or
// with null when cancelled (Cancel, Escape).

import { t } from "./i18n.js";

export function ask({ title, label = null, value = "", confirm = "ok", danger = false, submit }) {
  return new Promise((resolve) => {
    const back = document.createElement("div");
    back.className = "ax-dialog-back";
    const form = document.createElement("form");
    form.className = "ax-dialog";
    form.setAttribute("role", "dialog");
    form.setAttribute("aria-modal", "true");
    form.setAttribute("aria-label", title);
    const heading = document.createElement("h2");
    heading.textContent = title;
    form.append(heading);
    let input = null;
    if (label !== null) {
      const caption = document.createElement("label");
      caption.textContent = label;
      input = document.createElement("input");
      input.name = "value";
      input.value = value;
      input.autocomplete = "off";
      caption.append(input);
      form.append(caption);
    }
    const error = document.createElement("p");
    error.className = "ax-error";
    error.setAttribute("role", "alert");
    const actions = document.createElement("p");
    actions.className = "ax-actions";
    const ok = document.createElement("button");
    ok.type = "submit";
    ok.className = danger ? "primary ax-danger" : "primary";
    ok.textContent = t(confirm);
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.textContent = t("cancel");
    actions.append(ok, cancel);
    form.append(error, actions);
    back.append(form);
    const opener = document.activeElement;
    const close = (answer) => {
      back.remove();
      opener?.focus?.();
      resolve(answer);
    };
    cancel.addEventListener("click", () => close(null));
    form.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      event.stopPropagation(); // the page's Escape (close the composer) is not meant
      close(null);
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const entered = input ? input.value.trim() : true;
      if (input && !entered) {
        error.textContent = t("name_needed");
        input.focus();
        return;
      }
      ok.disabled = true;
      try {
        close((await submit(entered)) ?? entered);
      } catch (refusal) {
        error.textContent = refusal.message;
        ok.disabled = false;
        (input ?? ok).focus();
      }
    });
    document.body.append(back);
    if (input) input.select();
    (input ?? ok).focus();
  });
}
