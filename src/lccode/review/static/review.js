// Keyboard shortcuts and small conveniences for the review pages. The forms work without this script;
// it only ticks the same checkboxes and presses the same buttons a mouse would.
(function () {
  "use strict";
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  // Filter menus apply as soon as they change.
  $$("[data-autosubmit]").forEach((el) => el.addEventListener("change", () => el.form.submit()));

  // Transcript view: show the segment we came from, and B / Esc return to it.
  const current = $(".seg.current");
  if (current) current.scrollIntoView({ block: "center" });
  if ($(".page-transcript")) {
    document.addEventListener("keydown", (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === "b" || e.key === "B" || e.key === "Escape" || e.key === "ArrowLeft") {
        e.preventDefault();
        const back = $(".back a");
        if (window.history.length > 1) window.history.back();  // keeps the queue's filters
        else if (back) window.location.href = back.href;
      }
    });
  }

  const form = $("#decide");
  if (!form) return;

  const boxes = $$('.hidden-inputs input[type="checkbox"]', form);
  const byCode = Object.fromEntries(boxes.map((b) => [b.value, b]));
  const suggestRows = $$(".suggest .code-row");
  const addInput = $("#add");
  const addResults = $("#add-results");
  const defbox = $("#defbox");
  const help = $("#help");
  let submitting = false;

  function labelOf(code) {
    const row = $(`.allcodes .code-item[data-code="${code}"] .name`);
    return row ? row.firstChild.textContent.trim() : code;
  }
  function colorOf(code) {
    const row = $(`.allcodes .code-item[data-code="${code}"] .code-row`);
    return row ? row.style.getPropertyValue("--c") : "#888";
  }

  // Keep every label of a code (suggestion list and full codebook) and the "your coding" chips in step.
  function sync() {
    boxes.forEach((b) => $$(`label[for="${b.id}"]`).forEach((l) => l.classList.toggle("on", b.checked)));
    const list = $("#chosen-list");
    list.textContent = "";
    boxes.filter((b) => b.checked).forEach((b) => {
      const chip = document.createElement("span");
      chip.className = "chip";
      chip.style.setProperty("--c", colorOf(b.value));
      chip.textContent = labelOf(b.value);
      list.appendChild(chip);
    });
    $("#chosen-none").hidden = boxes.some((b) => b.checked);
  }
  boxes.forEach((b) => b.addEventListener("change", sync));

  function toggle(code) {
    const b = byCode[code];
    if (!b) return;
    b.checked = !b.checked;
    sync();
  }

  function submit(id) {
    if (submitting) return;
    submitting = true;
    form.requestSubmit($(id));
  }
  form.addEventListener("submit", () => { submitting = true; });

  // Definitions: the box under the form shows the code under the pointer or keyboard focus.
  function showDef(item) {
    if (!defbox || !item) return;
    defbox.textContent = "";
    const title = document.createElement("strong");
    title.textContent = labelOf(item.dataset.code);
    defbox.append(title, document.createTextNode(item.dataset.def || ""));
  }
  $$(".code-item").forEach((item) => {
    item.addEventListener("mouseenter", () => showDef(item));
    item.addEventListener("focusin", () => showDef(item));
  });
  function toggleDefinitions() {
    const defs = $$(".suggest .def");
    const show = defs.some((d) => d.hidden);
    defs.forEach((d) => { d.hidden = !show; });
  }

  // "Add a code": type part of a name (either language) or id; arrows choose, Enter ticks.
  const allCodes = $$(".allcodes .code-item").map((item) => ({
    code: item.dataset.code,
    label: labelOf(item.dataset.code),
    text: (item.dataset.code + " " + item.textContent).toLowerCase(),
  }));
  let active = 0;
  function renderResults() {
    const words = addInput.value.toLowerCase().split(/\s+/).filter(Boolean);
    const hits = words.length ? allCodes.filter((c) => words.every((w) => c.text.includes(w))).slice(0, 8) : [];
    addResults.textContent = "";
    active = Math.min(active, Math.max(hits.length - 1, 0));
    hits.forEach((h, i) => {
      const li = document.createElement("li");
      li.dataset.code = h.code;
      li.className = i === active ? "active" : "";
      const sw = document.createElement("span");
      sw.className = "sw";
      sw.style.setProperty("--c", colorOf(h.code));
      const name = document.createElement("span");
      name.textContent = h.label + (byCode[h.code] && byCode[h.code].checked ? "  ✓" : "");
      const id = document.createElement("small");
      id.textContent = h.code;
      li.append(sw, name, id);
      li.addEventListener("mousedown", (e) => { e.preventDefault(); pick(h.code); });
      addResults.appendChild(li);
    });
    addResults.hidden = hits.length === 0;
  }
  function pick(code) {
    toggle(code);
    addInput.value = "";
    renderResults();
  }
  if (addInput) {
    addInput.addEventListener("input", () => { active = 0; renderResults(); });
    addInput.addEventListener("keydown", (e) => {
      const items = $$("li", addResults);
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        active = (active + (e.key === "ArrowDown" ? 1 : items.length - 1)) % Math.max(items.length, 1);
        renderResults();
      } else if (e.key === "Enter") {
        e.preventDefault();
        if (items[active]) pick(items[active].dataset.code);
      } else if (e.key === "Escape") {
        addInput.value = "";
        renderResults();
        addInput.blur();
      }
    });
    addInput.addEventListener("blur", () => { addResults.hidden = true; });
  }

  function go(link) {
    if (link) window.location.href = link.href;
  }

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const typing = e.target.matches("input[type=search], input[type=text], select, textarea");
    if (typing) return;
    if (!help.hidden) {
      if (e.key === "Escape" || e.key === "?") { help.hidden = true; e.preventDefault(); }
      return;
    }
    const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    if (/^[1-9]$/.test(k)) {
      const row = suggestRows[Number(k) - 1];
      if (row) toggle(row.getAttribute("for").slice(2));
    } else if (k === "Enter") {
      if (e.target.matches("button, a, summary")) return; // let focused controls do their own thing
      submit("#btn-save");
    } else if (k === "y") {
      if (!$("#btn-accept").disabled) submit("#btn-accept");
    } else if (k === "n") {
      submit("#btn-none");
    } else if (k === "u") {
      submit("#btn-unsure");
    } else if (k === "/" || k === "a") {
      addInput.focus();
    } else if (k === "c") {
      $("#allcodes").open = !$("#allcodes").open;
    } else if (k === "d") {
      toggleDefinitions();
    } else if (k === "b" || k === "ArrowLeft") {
      go($("#back-link"));
    } else if (k === "t") {
      go($("#transcript-link"));
    } else if (k === "f") {
      const box = $(".filterbox");
      box.open = !box.open;
      if (box.open) box.scrollIntoView({ behavior: "smooth", block: "center" });
    } else if (k === "?") {
      help.hidden = false;
    } else {
      return;
    }
    e.preventDefault();
  });
})();
