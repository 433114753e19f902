// The settings pane's tabs Two-step sign-in (status, set up with the QR code, turn off, new recovery
// codes) and App passwords (make one, shown once; when and from where each was last used; revoke): the
// Standard tabs of the same name through the pane's routes (/ajax/settings/two-step..., app-passwords...).
// Secrets (recovery codes, a new app password) come only in the answer that made them and are shown
// once, in the pane, never kept.

import { config, t } from "./i18n.js";
import { SettingsForm, api, button, element, noticeOf, when } from "./settings_form.js";

function codesBox(codes) {
  return element("div", { class: "ax-secret", role: "status" },
    element("h3", { text: t("st_codes_title") }),
    element("p", { text: t("st_codes_note") }),
    element("ol", { class: "ax-codes" }, ...codes.map((code) => element("li", {}, element("code", { text: code })))));
}

export async function twoStepTab({ notify }) {
  const root = element("div", { class: "ax-two-step" });
  const codeForm = (title, label, hint, path, after) => {
    const form = new SettingsForm(title, label);
    form.add("code", t("st_code"), { hint });
    form.fields.get("code").input.autocomplete = "one-time-code";
    form.onSubmit(async (values) => after(await api(path, values)));
    return form.form;
  };
  const show = (state, shown = null) => {
    const parts = [];
    if (shown) parts.push(codesBox(shown));
    if (state.on) {
      parts.push(element("p", { class: "ax-two-step-state", text: t("st_two_step_on", { when: when(state.since) }) }),
        element("p", { text: t("st_recovery_left", { left: state.recovery_left }) }),
        codeForm(t("st_new_codes"), t("st_new_codes"), t("st_new_codes_hint"), "two-step/recovery-codes",
          (answer) => show(answer, answer.recovery_codes)),
        codeForm(t("st_turn_off_two_step"), t("st_turn_off"), t("st_turn_off_hint"), "two-step/disable", (answer) => {
          notify(t("st_two_step_off_done"));
          show(answer);
        }));
    } else if (state.pending) {
      parts.push(element("h3", { text: t("st_set_up_app") }), element("p", { text: t("st_scan") }),
        element("img", { class: "ax-qr", src: state.qr, alt: t("st_qr") }),
        element("p", {}, t("st_key"), " ", element("code", { class: "ax-two-step-key", text: state.secret })),
        codeForm("", t("st_turn_on_two_step"), t("st_first_code"), "two-step/confirm", (answer) => {
          config.csrf = answer.csrf; // turning it on started this session again (the others end)
          show(answer, answer.recovery_codes);
        }));
    } else {
      parts.push(element("p", { class: "ax-two-step-state", text: t("st_two_step_off") }),
        element("p", {}, button(t("st_set_up"), async () => {
          try {
            show(await api("two-step/enrol", {}));
          } catch (error) {
            notify(t("failed", { reason: error.message }));
          }
        }, "primary")));
    }
    root.replaceChildren(...parts);
  };
  show(await api("two-step"));
  return [root];
}

export async function appPasswordsTab({ notify, open }) {
  const root = element("div", { class: "ax-app-passwords" });
  const shown = element("div");
  const form = new SettingsForm(t("st_new_app_password"), t("st_create"));
  const name = form.add("name", t("st_app_name"));
  name.autocomplete = "off";
  const show = (found) => {
    const rows = found.passwords.map((item) => element("tr", {},
      element("td", { class: "ax-app-password-name", text: item.name }),
      element("td", { text: when(item.created) }),
      element("td", { text: item.last_used
        ? `${when(item.last_used)}${item.last_used_from ? ` (${t("st_from", { address: item.last_used_from })})` : ""}`
        : t("st_never") }),
      element("td", {}, button(t("st_revoke"), async () => {
        try {
          const after = await api("app-passwords/revoke", { id: item.id });
          shown.replaceChildren();
          notify(noticeOf(after, t("st_revoked")));
          show(after);
        } catch (error) {
          notify(t("failed", { reason: error.message }));
        }
      }))));
    root.replaceChildren(shown, element("p", { text: t("st_app_intro") }),
      rows.length
        ? element("table", { class: "ax-table" },
          element("thead", {}, element("tr", {},
            element("th", { scope: "col", text: t("st_name") }), element("th", { scope: "col", text: t("st_created") }),
            element("th", { scope: "col", text: t("st_last_used") }), element("th"))),
          element("tbody", {}, ...rows))
        : element("p", { class: "ax-empty", text: t("st_no_app_passwords") }),
      found.two_step_on
        ? form.form
        : element("p", { class: "ax-hint" }, t("st_app_needs_two_step"), " ",
          button(t("st_set_up"), () => open("two_step"))));
  };
  form.onSubmit(async (values) => {
    const made = await api("app-passwords", values);
    name.value = "";
    shown.replaceChildren(element("div", { class: "ax-secret", role: "status" },
      element("p", { text: t("st_app_password_for", { name: made.created.name }) }),
      element("p", {}, element("code", { class: "ax-new-app-password", text: made.created.password })),
      element("p", { text: t("st_app_password_once") })));
    show(made);
  });
  show(await api("app-passwords"));
  return [root];
}
