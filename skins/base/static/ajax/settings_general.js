// The settings pane's tabs General (language, skin, time zone, the mailbox size meter), Senders (blocked
// and safe), Temporary addresses and Password: each the Standard settings tab of the same name, through
// the pane's routes (settings_form.js). Each function answers the tab's content.

import { config, t } from "./i18n.js";
import { SettingsForm, api, button, element, noticeOf, size, when } from "./settings_form.js";

export async function generalTab({ notify }) {
  const found = await api("general");
  const form = new SettingsForm(t("st_general"));
  form.add("language", t("st_language"), { choices: found.choices.language, value: found.values.language });
  form.add("skin", t("st_skin"), { choices: found.choices.skin, value: found.values.skin });
  form.add("timezone", t("st_timezone"), { choices: found.choices.timezone, value: found.values.timezone });
  const reload = element("p", { class: "ax-reload", hidden: true }, t("st_reload_note"), " ",
    button(t("st_reload"), () => window.location.reload()));
  form.form.append(reload);
  form.onSubmit(async (values) => {
    await api("general", values);
    notify(t("settings_saved"));
    reload.hidden = false;
  });
  const devices = element("section", { class: "ax-devices" },
    element("h3", { text: t("st_devices") }),
    element("p", { text: t("st_devices_intro") }),
    element("p", {}, element("a", { href: found.apple_profile, text: t("st_apple_profile") })),
    element("p", { class: "ax-hint", text: t("st_apple_hint") }));
  return [quotaMeter(found.quota), form.form, devices];
}

function quotaMeter(quota) {
  const section = element("section", { class: "ax-quota", "aria-label": t("st_mailbox_size") },
    element("h3", { text: t("st_mailbox_size") }));
  if (quota.limit_bytes) {
    const meter = element("meter", { min: 0, max: quota.limit_bytes, value: quota.used_bytes });
    meter.textContent = `${quota.percent}%`;
    section.append(element("p", {}, meter, " ", t("st_quota_used", {
      used: size(quota.used_bytes), limit: size(quota.limit_bytes), percent: `${quota.percent}%`,
    })));
  } else {
    section.append(element("p", { text: t("st_quota_unlimited", { used: size(quota.used_bytes) }) }));
  }
  if (quota.limit_messages) {
    section.append(element("p", { text: t("st_quota_messages", { count: quota.messages, limit: quota.limit_messages }) }));
  }
  if (quota.over) {
    section.append(element("p", { class: "ax-error", role: "alert", text: t("st_quota_full") }));
  } else if (quota.warning) {
    section.append(element("p", { class: "ax-warning", role: "status", text: t("st_quota_warning", { level: `${quota.warning}%` }) }));
  }
  return section;
}

export async function sendersTab({ notify }) {
  const found = await api("senders");
  const form = new SettingsForm(t("st_senders"));
  form.body.append(element("p", { class: "ax-hint", text: t("st_senders_hint") }));
  const blocked = form.add("blocked", t("st_blocked"), { type: "textarea", rows: 6, value: found.blocked.join("\n"), hint: t("st_blocked_hint") });
  const safe = form.add("safe", t("st_safe"), { type: "textarea", rows: 6, value: found.safe.join("\n"), hint: t("st_safe_hint") });
  form.onSubmit(async (values) => {
    const saved = await api("senders", values);
    blocked.value = saved.blocked.join("\n"); // as storage keeps them: lower case, no duplicates
    safe.value = saved.safe.join("\n");
    notify(t("settings_saved"));
  });
  return [form.form];
}

export async function aliasesTab({ notify }) {
  const list = element("div", { class: "ax-aliases" });
  const form = new SettingsForm(t("st_new_alias"), t("st_create"));
  const localPart = form.add("local_part", t("st_local_part"));
  const days = form.add("days", t("st_days"), { type: "number" });
  const show = (found) => {
    days.max = found.max_days;
    if (!days.value) days.value = found.max_days;
    const rows = found.aliases.map((alias) => element("tr", {},
      element("td", { class: "ax-alias", text: alias.address }),
      element("td", { text: when(alias.expires) }),
      element("td", {}, button(t("delete"), async () => {
        try {
          const after = await api("aliases/delete", { address: alias.address });
          notify(noticeOf(after, t("settings_saved")));
          show(after);
        } catch (error) {
          notify(t("failed", { reason: error.message }));
        }
      }))));
    list.replaceChildren(
      element("p", { text: t("st_aliases_intro") }),
      element("p", { class: "ax-hint", text: found.most ? t("st_aliases_limits", { most: found.most, days: found.max_days }) : t("st_aliases_off") }),
      rows.length
        ? element("table", { class: "ax-table" },
          element("thead", {}, element("tr", {},
            element("th", { scope: "col", text: t("st_address") }),
            element("th", { scope: "col", text: t("st_expires") }), element("th"))),
          element("tbody", {}, ...rows))
        : element("p", { class: "ax-empty", text: t("st_no_aliases") }),
    );
    form.form.hidden = !found.most;
  };
  show(await api("aliases"));
  form.onSubmit(async (values) => {
    const made = await api("aliases", { local_part: values.local_part, days: values.days });
    localPart.value = "";
    notify(t("st_alias_made", { address: made.created }));
    show(made);
  });
  return [list, form.form];
}

export async function passwordTab({ notify }) {
  const form = new SettingsForm(t("st_password"));
  form.add("current", t("st_current"), { type: "password" });
  form.add("new", t("st_new"), { type: "password" });
  form.add("confirm", t("st_confirm"), { type: "password" });
  for (const { input } of form.fields.values()) input.autocomplete = "off";
  form.onSubmit(async (values) => {
    const done = await api("password", values);
    config.csrf = done.csrf; // this session was started again: its forms carry the new token
    form.form.reset();
    notify(t("st_password_changed"));
  });
  return [form.form];
}
