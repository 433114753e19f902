// The settings pane's Other mailboxes tab: the remote POP3/IMAP mailboxes the Remote POP service fetches
// into this one (list with last fetch and state, fetch now, change, remove; add), the Standard tab of the
// same name through the pane's routes (/ajax/settings/remote...). The remote password is never shown
// back: left empty on a change, the stored one stays.

import { t } from "./i18n.js";
import { SettingsForm, api, button, element, noticeOf, when } from "./settings_form.js";

export async function remoteTab({ notify }) {
  const root = element("div", { class: "ax-remote" });
  let found = await api("remote");

  const act = async (what, id, done) => {
    try {
      found = await api(`remote/${what}`, { id });
      notify(noticeOf(found, done));
      list();
    } catch (error) {
      notify(t("failed", { reason: error.message }));
    }
  };

  const list = () => {
    const rows = found.remotes.map((r) => element("tr", { class: "ax-remote-mailbox" },
      element("td", { text: `${r.username} — ${r.host} (${r.protocol.toUpperCase()})` }),
      element("td", { text: r.folder }),
      element("td", { text: r.last_fetched ? when(r.last_fetched) : t("st_not_yet") }),
      element("td", { class: r.last_error ? "ax-error" : "", text: r.last_error || (r.enabled ? t("st_working") : t("st_paused")) }),
      element("td", { class: "ax-row-actions" },
        button(t("st_edit"), () => edit(r)),
        button(t("st_fetch_now"), () => act("fetch", r.id, t("st_fetched_soon"))),
        button(t("st_remove"), () => act("delete", r.id, t("st_remote_removed"))))));
    root.replaceChildren(element("p", { text: t("st_remote_intro") }),
      rows.length
        ? element("table", { class: "ax-table" },
          element("thead", {}, element("tr", {},
            element("th", { scope: "col", text: t("st_mailbox") }), element("th", { scope: "col", text: t("st_into") }),
            element("th", { scope: "col", text: t("st_last_fetched") }), element("th", { scope: "col", text: t("st_state") }),
            element("th"))),
          element("tbody", {}, ...rows))
        : element("p", { class: "ax-empty", text: t("st_no_remote") }),
      element("p", {}, button(t("st_add_mailbox"), () => edit(null), "primary")));
  };

  // The form for a remote mailbox `r`, or a new one (null).
  const edit = (r) => {
    const form = new SettingsForm(r ? t("st_change_mailbox") : t("st_add_mailbox"));
    if (!r) form.add("template", t("st_provider"), { choices: found.choices.template, value: "", hint: t("st_provider_hint") });
    form.add("protocol", t("st_protocol"), { choices: found.choices.protocol, value: r?.protocol || "imap" });
    form.add("host", t("st_server"), { value: r?.host });
    form.add("port", t("st_port"), { type: "number", value: r?.port ?? "" });
    form.add("security", t("st_security"), { choices: found.choices.security, value: r?.security || "implicit" });
    form.add("username", t("st_user_name"), { value: r?.username });
    form.add("password", t("st_password"), { type: "password", hint: r ? t("st_password_kept") : "" });
    form.add("folder", t("st_put_into"), { choices: found.choices.folder, value: r?.folder || "INBOX" });
    form.add("minutes", t("st_every"), { type: "number", value: r?.minutes ?? 10 });
    form.add("keep_on_server", t("st_keep_copy"), { type: "checkbox", value: r ? r.keep_on_server : true });
    form.add("enabled", t("st_fetch_it"), { type: "checkbox", value: r ? r.enabled : true });
    for (const { input } of form.fields.values()) input.autocomplete = "off";
    form.actions.append(button(t("cancel"), list));
    form.onSubmit(async (values) => {
      found = await api("remote", { ...values, remote_id: r ? String(r.id) : "" });
      notify(t("st_remote_saved", { mailbox: found.saved }));
      list();
    });
    root.replaceChildren(form.form);
  };

  list();
  return [root];
}
