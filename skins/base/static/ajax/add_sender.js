// "Add sender to contacts" in the reader: a card for the sender's address in the user's default
// address book over JMAP for Contacts (RFC 9610), unless a card of that book already has the address
// (the Standard reader's button does the same: one card per address). The status line confirms either
// way.

import { t } from "./i18n.js";

export const CONTACTS = "urn:ietf:params:jmap:contacts";

export function addSenderButton(email, jmap, { notify }) {
  const sender = (email.from || [])[0];
  if (!sender?.email) return null;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "ax-add-sender";
  button.textContent = t("add_sender");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await addSender(jmap, sender);
      notify(t("sender_added", { address: sender.email }));
      button.textContent = t("sender_in_contacts");
    } catch (error) {
      button.disabled = false;
      notify(t("failed", { reason: error.message }));
    }
  });
  return button;
}

async function addSender(jmap, sender) {
  if (!jmap.using.includes(CONTACTS)) jmap.using = [...jmap.using, CONTACTS];
  const books = (await jmap.call("AddressBook/get", { ids: null })).list;
  const book = books.find((b) => b.isDefault) || books.find((b) => b.myRights?.mayWrite);
  if (!book) throw new Error(t("no_address_book"));
  const wanted = sender.email.toLowerCase();
  const found = await jmap.batch([
    ["ContactCard/query", { filter: { inAddressBook: book.id, email: sender.email } }, "query"],
    ["ContactCard/get", {
      "#ids": { resultOf: "query", name: "ContactCard/query", path: "/ids" },
      properties: ["id", "emails"],
    }, "cards"],
  ]);
  const known = found.cards.list.some((card) => Object.values(card.emails || {})
    .some((e) => (e.address || "").toLowerCase() === wanted));
  if (known) return;
  const card = { addressBookIds: { [book.id]: true }, kind: "individual", emails: { e1: { address: sender.email } } };
  if (sender.name) card.name = { full: sender.name };
  const answer = await jmap.call("ContactCard/set", { create: { c: card } });
  const refused = answer.notCreated?.c;
  if (refused) throw new Error(refused.description || refused.type);
}
