// The client's strings, translated on the server from the locales/ catalogs and handed to the page as a
// JSON data block (webmail/ajax/strings.py). t("key", {name: value}) fills "%(name)s" markers.

const strings = JSON.parse(document.getElementById("fp-strings").textContent);

export function t(key, values = {}) {
  const text = strings[key] ?? key;
  return text.replace(/%\((\w+)\)s/g, (_, name) => String(values[name] ?? ""));
}

export function has(key) {
  return Object.hasOwn(strings, key);
}

export const config = JSON.parse(document.getElementById("fp-config").textContent);
