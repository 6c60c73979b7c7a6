// The review page's verdicts and keys (wildvision/review/verdicts.py puts it in the page):
// buttons and keys give each card a verdict, kept in the browser's localStorage under the
// page's id, and "download verdicts.csv" writes them in the format wildvision.verdicts reads.
// Keys also move through the grid, open a card large (Esc closes it), switch the heatmaps
// over the photos and open the help. It runs offline: no libraries, nothing fetched; its
// data comes from data-* attributes.
(function () {
  "use strict";
  const main = document.querySelector("main[data-page-id]");
  if (!main) return;
  const cards = Array.from(main.querySelectorAll("article.item"));
  const labels = JSON.parse(main.dataset.labels);
  const columns = JSON.parse(main.dataset.columns);
  const notWildlife = main.dataset.notWildlife;
  const unsure = main.dataset.unsure;
  const storageKey = "wildvision-verdicts:" + main.dataset.pageId;
  const counter = document.getElementById("reviewed-count");
  const backdrop = document.getElementById("backdrop");
  const help = document.getElementById("help");
  const heatButton = document.getElementById("toggle-heat");
  let verdicts = load(); // card rank -> {label, at}
  let current = 0;
  let opened = false; // whether the current card is open large

  function load() {
    try {
      const saved = JSON.parse(window.localStorage.getItem(storageKey) || "{}");
      const ranks = new Set(cards.map((card) => card.dataset.rank));
      const kept = {};
      for (const [rank, verdict] of Object.entries(saved || {})) {
        if (ranks.has(rank) && verdict && typeof verdict.label === "string") kept[rank] = verdict;
      }
      return kept;
    } catch (error) {
      storageProblem(error);
      return {};
    }
  }

  function save() {
    try {
      window.localStorage.setItem(storageKey, JSON.stringify(verdicts));
    } catch (error) {
      storageProblem(error);
    }
  }

  function storageProblem(error) {
    const note = document.getElementById("storage-note");
    note.textContent =
      "This browser does not keep the verdicts (" + error + "): download them before you close the page.";
    note.hidden = false;
  }

  function button(text, kind, label) {
    const element = document.createElement("button");
    element.type = "button";
    element.textContent = text;
    element.dataset.kind = kind;
    if (label !== undefined) element.dataset.verdict = label;
    return element;
  }

  function addControls(card, index) {
    const bar = document.createElement("div");
    bar.className = "verdict";
    const correct = button("y correct", "correct", card.dataset.label);
    correct.disabled = !card.dataset.label;
    correct.title = "the model's label is right: " + card.dataset.label;
    const other = button("n not wildlife", "other", notWildlife);
    other.title = "not a wildlife product";
    bar.append(correct, other, button("u unsure", "unsure", unsure));
    if (labels.length) {
      const others = document.createElement("span");
      others.className = "labels";
      others.append("another label:");
      labels.forEach((label, i) => {
        others.append(" ", button((i < 9 ? i + 1 + " " : "") + label, "label", label));
      });
      bar.append(others);
    }
    bar.append(button("x clear", "clear"));
    const status = document.createElement("span");
    status.className = "verdict-status";
    bar.append(status);
    bar.addEventListener("click", (event) => {
      const pressed = event.target.closest("button");
      if (!pressed) return;
      decide(card, pressed.dataset.kind === "clear" ? null : pressed.dataset.verdict);
      release(event);
    });
    card.addEventListener("click", () => select(index, false));
    const picture = card.querySelector(".pic");
    if (picture) {
      picture.addEventListener("click", (event) => {
        event.stopPropagation();
        select(index, false);
        if (opened) close();
        else open();
      });
    }
    card.append(bar);
  }

  function release(event) {
    // after a mouse click, keys go to the page again (Enter opens the card, rather than
    // pressing the clicked button again); a button pressed by keyboard keeps the focus
    if (event.detail > 0) event.target.closest("button").blur();
  }

  function decide(card, label) {
    if (label) verdicts[card.dataset.rank] = { label: label, at: new Date().toISOString() };
    else delete verdicts[card.dataset.rank];
    save();
    show(card);
    count();
  }

  function describe(card, label) {
    if (label === card.dataset.label) return "correct (" + label + ")";
    if (label === notWildlife) return "not a wildlife product";
    if (label === unsure) return "unsure";
    return "another label: " + label;
  }

  function show(card) {
    const verdict = verdicts[card.dataset.rank];
    card.classList.toggle("reviewed", Boolean(verdict));
    card.dataset.verdict = verdict ? verdict.label : "";
    for (const element of card.querySelectorAll(".verdict button")) {
      const on = Boolean(verdict) && element.dataset.verdict === verdict.label;
      element.setAttribute("aria-pressed", String(on));
    }
    card.querySelector(".verdict-status").textContent = verdict
      ? "verdict: " + describe(card, verdict.label)
      : "no verdict yet";
  }

  function count() {
    const reviewed = cards.filter((card) => verdicts[card.dataset.rank]).length;
    counter.textContent = reviewed + " of " + cards.length + " reviewed";
  }

  function select(index, scroll) {
    cards[current].classList.remove("current", "focused");
    current = Math.max(0, Math.min(cards.length - 1, index));
    cards[current].classList.add("current");
    if (opened) cards[current].classList.add("focused");
    else if (scroll) cards[current].scrollIntoView({ block: "nearest" });
  }

  function open() {
    opened = true;
    cards[current].classList.add("focused");
    backdrop.hidden = false;
  }

  function close() {
    opened = false;
    cards[current].classList.remove("focused");
    backdrop.hidden = true;
    cards[current].scrollIntoView({ block: "nearest" });
  }

  function heat(on) {
    if (heatButton.disabled) return;
    document.body.classList.toggle("heat", on);
    heatButton.setAttribute("aria-pressed", String(on));
  }

  function gridColumns() {
    // the grid's resolved tracks, e.g. "180px 180px 180px": one entry a column
    const tracks = getComputedStyle(main).gridTemplateColumns.trim().split(/\s+/);
    return opened ? 1 : Math.max(1, tracks.length);
  }

  function move(key) {
    if (key === "j" || key === "ArrowRight") select(current + 1, true);
    else if (key === "k" || key === "ArrowLeft") select(current - 1, true);
    else if (key === "ArrowDown") select(current + gridColumns(), true);
    else if (key === "ArrowUp") select(current - gridColumns(), true);
    else if (key === "Home") select(0, true);
    else if (key === "End") select(cards.length - 1, true);
    else return false;
    return true;
  }

  function keyLabel(card, key) {
    if (key === "y") return card.dataset.label;
    if (key === "n") return notWildlife;
    if (key === "u") return unsure;
    if (/^[1-9]$/.test(key)) return labels[Number(key) - 1];
    return undefined;
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || !cards.length) return;
    if (event.target.closest && event.target.closest("input, select, textarea")) return;
    const key = event.key;
    if (help.open) return; // the dialog closes itself on Esc
    if (key === "Enter" && event.target.closest && event.target.closest("button")) return;
    const card = cards[current];
    if (move(key)) event.preventDefault();
    else if (key === "?") help.showModal();
    else if (key === "Enter" || key === "o") open();
    else if (key === "Escape" && opened) close();
    else if (key === "h") heat(!document.body.classList.contains("heat"));
    else if (key === "x" || key === "Backspace" || key === "Delete") decide(card, null);
    else {
      const label = keyLabel(card, key);
      if (!label) return;
      decide(card, label);
      select(current + 1, true);
    }
    event.preventDefault();
  });

  function field(value) {
    const text = value === undefined || value === null ? "" : String(value);
    return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function csv() {
    const lines = [columns.join(",")];
    for (const card of cards) {
      const verdict = verdicts[card.dataset.rank];
      if (!verdict) continue;
      const row = {
        listing_id: card.dataset.listingId,
        path: card.dataset.path,
        verdict_label: verdict.label,
        model_label: card.dataset.label,
        score: card.dataset.score,
        model_version: card.dataset.modelVersion,
        reviewed_at: verdict.at,
      };
      lines.push(columns.map((column) => field(row[column])).join(","));
    }
    return lines.join("\r\n") + "\r\n";
  }

  document.getElementById("download-verdicts").addEventListener("click", () => {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([csv()], { type: "text/csv;charset=utf-8" }));
    link.download = "verdicts.csv";
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60000);
  });

  heatButton.addEventListener("click", (event) => {
    heat(!document.body.classList.contains("heat"));
    release(event);
  });
  document.getElementById("show-help").addEventListener("click", () => help.showModal());
  document.getElementById("close-help").addEventListener("click", () => help.close());
  backdrop.addEventListener("click", close);
  cards.forEach(addControls);
  cards.forEach(show);
  count();
  if (cards.length) select(0, false);
})();
