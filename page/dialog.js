// The confirmation dialog (a real <dialog>) that every decision and deletion goes through.

const $ = (id) => document.getElementById(id);

/**
 * A confirmation in a real <dialog>. With `comment` (the text to start with; "" for none) it
 * has an optional comment field. Resolves {confirmed, comment}: confirmed only when the person
 * confirms; comment is what the field holds then, kept by the caller even on a "no".
 */
export function confirmDialog({ title, text, confirm, cancel, comment = null, destructive = false }) {
  const dialog = $("confirm");
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  $("confirm-ok").textContent = confirm;
  $("confirm-ok").className = destructive ? "destructive" : "primary"; // what cannot be undone
  $("confirm-cancel").textContent = cancel;
  $("confirm-comment-field").hidden = comment === null;
  $("confirm-comment").value = comment ?? "";
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () =>
        resolve({
          confirmed: dialog.returnValue === "confirm",
          comment: comment === null ? "" : $("confirm-comment").value,
        }),
      { once: true },
    );
    dialog.showModal();
    $("confirm-cancel").focus(); // the safe choice has the focus
  });
}
