// The agent queue (templates/incidents/workspace/queue.html): keyboard shortcuts, auto-refresh that keeps
// the agent's place (current row, ticked rows, scroll), and the column chooser's ordering buttons.
(() => {
  const queue = document.querySelector("[data-queue]");
  if (!queue) {
    return;
  }
  const help = document.getElementById("queue-help");
  const announcer = document.getElementById("queue-announcer");
  const refreshMs = (Number(queue.dataset.refreshSeconds) || 45) * 1000;
  let current = null; // the current row's record number
  let busy = false;

  // The queue's own address with its tab, filters, sort and columns (kept up to date by each answer): the
  // page itself may be the answer to a bulk action, at another address.
  const queuePath = () => {
    const next = document.getElementById("bulk-next");
    return next ? next.value : window.location.pathname + window.location.search;
  };
  const rows = () => Array.from(queue.querySelectorAll("tr[data-record]"));
  const currentRow = () => rows().find((row) => row.dataset.number === current) || null;

  function isTyping(target) {
    if (!target || !target.closest) {
      return false;
    }
    if (target.closest("textarea, select, [contenteditable=''], [contenteditable='true']")) {
      return true;
    }
    const input = target.closest("input");
    return Boolean(input) && !["checkbox", "radio", "button", "submit", "reset"].includes(input.type);
  }

  function mark(row, { focus = true } = {}) {
    rows().forEach((other) => {
      other.classList.remove("queue-current");
      other.removeAttribute("aria-current");
    });
    if (!row) {
      current = null;
      return;
    }
    current = row.dataset.number;
    row.classList.add("queue-current");
    row.setAttribute("aria-current", "true");
    if (focus) {
      row.focus({ preventScroll: true });
      row.scrollIntoView({ block: "nearest" });
    }
  }

  function move(step) {
    const all = rows();
    if (!all.length) {
      return;
    }
    const index = all.indexOf(currentRow());
    const next = index < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, index + step));
    mark(all[next]);
  }

  function assignToMe(row) {
    if (busy) {
      return;
    }
    busy = true;
    htmx.ajax("POST", queue.dataset.assignUrl, {
      source: document.body,
      target: queue,
      swap: "innerHTML",
      values: {
        record: row.dataset.record,
        version: row.dataset.version,
        next: queuePath(),
      },
    }).finally(() => {
      busy = false;
    });
  }

  function refresh() {
    const open = document.querySelector("details[open].queue-columns");
    if (busy || document.hidden || (help && help.open) || open) {
      return;
    }
    busy = true;
    htmx.ajax("GET", queuePath(), {
      source: document.body,
      target: queue,
      swap: "innerHTML",
    }).finally(() => {
      busy = false;
    });
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target) || (help && help.open)) {
      return;
    }
    const row = currentRow();
    const onRow = row && document.activeElement === row;
    switch (event.key) {
      case "j":
        move(1);
        break;
      case "k":
        move(-1);
        break;
      case "o":
        if (!row) {
          return;
        }
        window.location.assign(row.dataset.href);
        break;
      case "Enter":
        if (!onRow) {
          return; // Enter on a link, a button or a box keeps its own meaning
        }
        window.location.assign(row.dataset.href);
        break;
      case "c":
        if (!row) {
          return;
        }
        window.location.assign(`${row.dataset.href}#comment`);
        break;
      case "a":
        if (!row) {
          return;
        }
        assignToMe(row);
        break;
      case "x": {
        const box = row && row.querySelector("input[name='bulk-records']");
        if (!box) {
          return;
        }
        box.click();
        break;
      }
      case "?":
        if (help) {
          help.showModal();
        }
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-queue-help-open]") && help) {
      help.showModal();
      return;
    }
    const row = event.target.closest("tr[data-record]");
    if (row && queue.contains(row)) {
      mark(row, { focus: !event.target.closest("a, input, button") });
    }
  });

  // The rows come back (refresh, assign, filters): keep what the agent had ticked, the current row, the
  // focus when it was on the list, and the scroll position.
  let kept = null;
  document.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.target !== queue) {
      return;
    }
    if ([400, 409, 412].includes(event.detail.xhr.status)) {
      event.detail.shouldSwap = true; // the rows again, saying why nothing changed
      event.detail.isError = false;
    }
    kept = {
      ticked: new Set(
        Array.from(queue.querySelectorAll("input[name='bulk-records']:checked")).map((box) => box.value),
      ),
      index: rows().indexOf(currentRow()),
      focused: queue.contains(document.activeElement),
      scroll: window.scrollY,
    };
  });
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target !== queue || !kept) {
      return;
    }
    queue.querySelectorAll("input[name='bulk-records']").forEach((box) => {
      if (kept.ticked.has(box.value)) {
        box.checked = true;
      }
    });
    let row = currentRow();
    if (!row && kept.index >= 0) {
      const all = rows();
      row = all[Math.min(kept.index, all.length - 1)] || null;
    }
    mark(row, { focus: false });
    if (row && kept.focused) {
      row.focus({ preventScroll: true });
    }
    window.scrollTo({ top: kept.scroll });
    const flash = queue.querySelector("[data-queue-flash]");
    if (flash && announcer) {
      announcer.textContent = flash.textContent.trim();
    }
    kept = null;
  });

  // Column chooser: move a column up or down the list (the form sends them in this order).
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-column-move]");
    if (!button) {
      return;
    }
    const item = button.closest("[data-column-item]");
    if (button.dataset.columnMove === "up" && item.previousElementSibling) {
      item.parentNode.insertBefore(item, item.previousElementSibling);
    } else if (button.dataset.columnMove === "down" && item.nextElementSibling) {
      item.parentNode.insertBefore(item.nextElementSibling, item);
    }
    button.focus();
  });

  window.setInterval(refresh, refreshMs);
})();
