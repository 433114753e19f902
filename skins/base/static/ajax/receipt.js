// The read-receipt question (RFC 8098): a message with Disposition-Notification-To asks once. "Send
// receipt" sends it with JMAP's MDN/send (RFC 9007; the server builds and queues it through mailflow,
// as the Standard reader's button does), "Do not send" only sets the keyword; either way the message
// gets $mdnsent (RFC 3503), so neither this reader nor another client asks again. Whether to ask comes
// from the reader route ("receipt_to"), the Standard reader's own test.

import { t } from "./i18n.js";

export const MDN = "urn:ietf:params:jmap:mdn";
const DISPLAYED = { actionMode: "manual-action", sendingMode: "mdn-sent-manually", type: "displayed" };

export function receiptQuestion(view, email, jmap, { notify }) {
  if (!view.receipt_to) return null;
  const box = document.createElement("p");
  box.className = "ax-receipt";
  box.setAttribute("role", "status");
  box.append(`${t("receipt_asked", { address: view.receipt_to })} `);
  const answer = async (send) => {
    box.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    try {
      if (send) await sendReceipt(jmap, email);
      else await markAnswered(jmap, email.id);
      box.remove();
      notify(t(send ? "receipt_sent" : "receipt_declined"));
    } catch (error) {
      box.querySelectorAll("button").forEach((b) => { b.disabled = false; });
      notify(t("failed", { reason: error.message }));
    }
  };
  for (const [send, label] of [[true, "send_receipt"], [false, "no_receipt"]]) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = t(label);
    button.dataset.receipt = send ? "send" : "ignore";
    button.addEventListener("click", () => answer(send));
    box.append(button, " ");
  }
  return box;
}

// The identity the message was written to (To or Cc), else the account's own.
async function identityFor(jmap, email) {
  const found = await jmap.call("Identity/get", { ids: null });
  const written = new Set([...(email.to || []), ...(email.cc || [])].map((a) => a.email.toLowerCase()));
  return (found.list.find((i) => written.has(i.email.toLowerCase())) || found.list[0])?.id;
}

async function sendReceipt(jmap, email) {
  if (!jmap.using.includes(MDN)) jmap.using = [...jmap.using, MDN];
  const done = await jmap.call("MDN/send", {
    identityId: await identityFor(jmap, email),
    send: { r: { forEmailId: email.id, disposition: DISPLAYED } },
    onSuccessUpdateEmail: { "#r": { "keywords/$mdnsent": true } },
  });
  const refused = done.notSent?.r;
  if (refused) throw new Error(refused.description || refused.type);
}

async function markAnswered(jmap, id) {
  const done = await jmap.call("Email/set", { update: { [id]: { "keywords/$mdnsent": true } } });
  const refused = done.notUpdated?.[id];
  if (refused) throw new Error(refused.description || refused.type);
}
