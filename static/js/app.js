// Small behaviours without inline scripts (the content security policy forbids them).
document.addEventListener("change", (event) => {
  const field = event.target.closest("[data-autosubmit]");
  if (field && field.form) {
    field.form.requestSubmit();
  }
});

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy-target]");
  if (!button) {
    return;
  }
  const source = document.querySelector(button.dataset.copyTarget);
  if (source && navigator.clipboard) {
    navigator.clipboard.writeText(source.value || source.textContent.trim());
    button.classList.add("btn-success");
  }
});

// Requester portal (incidents/portal): a form marked data-swap-errors shows the 400 answer it gets back
// (the form with its errors) instead of htmx ignoring it.
document.addEventListener("htmx:beforeSwap", (event) => {
  const source = event.detail.requestConfig && event.detail.requestConfig.elt;
  if (event.detail.xhr.status === 400 && source && source.closest("[data-swap-errors]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// Requester portal: after such a swap, move the keyboard focus to what the answer marks (its message or
// its errors), so nobody is left on an element that no longer exists.
document.addEventListener("htmx:afterSwap", (event) => {
  const source = event.detail.requestConfig && event.detail.requestConfig.elt;
  if (!source || !source.closest("[data-swap-errors]")) {
    return;
  }
  const target = document.querySelector("[data-focus-after-swap]");
  if (target) {
    target.focus();
  }
});

// Agent workspace: "/" focuses the jump-to-record box (unless typing in a field); Esc leaves it.
document.addEventListener("keydown", (event) => {
  const box = document.querySelector("[data-jump-box]");
  if (!box) {
    return;
  }
  if (event.key === "Escape" && document.activeElement === box) {
    box.blur();
    return;
  }
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) {
    return;
  }
  const target = event.target;
  if (target.closest && target.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']")) {
    return;
  }
  event.preventDefault();
  box.focus();
  box.select();
});

// Agent workspace: a "select all" checkbox ticks every row checkbox named by data-select-all.
document.addEventListener("change", (event) => {
  const all = event.target.closest("[data-select-all]");
  if (!all) {
    return;
  }
  const table = all.closest("table") || document;
  table.querySelectorAll(`input[type=checkbox][name="${all.dataset.selectAll}"]`).forEach((box) => {
    box.checked = all.checked;
  });
});

// Attachments: check the chosen files against the limits their field states (servicedesk/fields.py:
// count, size, types) before anything is sent, and say what is wrong beside the field. The server checks
// again and has the last word (this also checks no content).
function attachmentProblems(input) {
  const data = input.dataset;
  const files = Array.from(input.files || []);
  const allowed = (data.extensions || "").split(",").filter(Boolean);
  const problems = [];
  if (files.length > Number(data.maxFiles)) {
    problems.push(data.messageCount);
  }
  files.forEach((file) => {
    const dot = file.name.lastIndexOf(".");
    const extension = dot > 0 ? file.name.slice(dot + 1).toLowerCase() : "";
    if (!allowed.includes(extension)) {
      problems.push(data.messageType.replaceAll("{extension}", extension || "?"));
    } else if (file.size === 0) {
      problems.push(data.messageEmpty.replaceAll("{name}", file.name));
    } else if (file.size > Number(data.maxBytes)) {
      problems.push(data.messageSize.replaceAll("{name}", file.name));
    }
  });
  return problems;
}

document.addEventListener("change", (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || input.type !== "file" || !input.dataset.maxBytes) {
    return;
  }
  const problems = attachmentProblems(input);
  const feedbackId = `${input.id || input.name}-problems`;
  let feedback = document.getElementById(feedbackId);
  if (!feedback) {
    feedback = document.createElement("div");
    feedback.id = feedbackId;
    feedback.className = "invalid-feedback d-block";
    feedback.setAttribute("role", "alert");
    feedback.dataset.testid = "upload-problems";
    input.insertAdjacentElement("afterend", feedback);
    const described = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", described ? `${described} ${feedbackId}` : feedbackId);
  }
  feedback.replaceChildren(...problems.map((text) => {
    const line = document.createElement("div");
    line.textContent = text;
    return line;
  }));
  input.classList.toggle("is-invalid", problems.length > 0);
  // Blocks sending, by the browser and by htmx alike, until the choice is corrected.
  input.setCustomValidity(problems.join(" "));
});

// Pickers (servicedesk/pickers.py): a search box over a menu, filling it with the matches (htmx).
// Typing in the box is not a change of the form it sits in: its change event stops here, so a form that
// filters on change (the queue) does not reload for it.
document.addEventListener("change", (event) => {
  if (event.target.matches && event.target.matches("[data-picker-q]")) {
    event.stopPropagation();
  }
}, true);

// Down arrow (or Enter) in a picker's box moves to its menu, where the matches are.
document.addEventListener("keydown", (event) => {
  const box = event.target.closest && event.target.closest("[data-picker-q]");
  if (!box || (event.key !== "ArrowDown" && event.key !== "Enter")) {
    return;
  }
  event.preventDefault();
  const menu = document.getElementById(box.getAttribute("aria-controls"));
  if (menu) {
    menu.focus();
  }
});

// A choice made among the matches moves out of them, so that the next search (which replaces the
// matches) keeps it chosen.
document.addEventListener("change", (event) => {
  const menu = event.target;
  if (!(menu instanceof HTMLSelectElement) || !menu.hasAttribute("data-picker")) {
    return;
  }
  const matches = document.getElementById(`${menu.id}-options`);
  if (!matches) {
    return;
  }
  Array.from(matches.querySelectorAll("option")).filter((option) => option.selected).forEach((option) => {
    menu.insertBefore(option, matches);
  });
});

// Agent workspace (macros, watchers): a box marked data-swap-refusals shows the answer to a refused
// action (400 its errors, 403, 409 an illegal move, 412 a stale page) in place, with its message.
document.addEventListener("htmx:beforeSwap", (event) => {
  const source = event.detail.requestConfig && event.detail.requestConfig.elt;
  if ([400, 403, 409, 412].includes(event.detail.xhr.status) && source && source.closest("[data-swap-refusals]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// A record opened at its comment box (the queue's "c": `#comment`): the cursor in the box, ready to type.
document.addEventListener("DOMContentLoaded", () => {
  if (window.location.hash !== "#comment") {
    return;
  }
  const box = document.querySelector("[data-comment-box] textarea");
  if (box) {
    box.focus({ preventScroll: true });
    box.scrollIntoView({ block: "center" });
  }
});
