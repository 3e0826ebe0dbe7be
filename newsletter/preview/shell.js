// The preview page: listens for finished builds, reloads the email frames without a flash
// (the new build loads hidden, takes the old scroll position, then takes its place), and
// fills the editor's panel. Everything from the server is set as text, never as markup.
"use strict";

const VIEWS = {
  desktop: { label: "600 px", width: "600px",
    caption: "The email at 600 px, the width of a desktop client's reading pane: the bytes `build` writes." },
  wide: { label: "Wide", width: "100%",
    caption: "The email in a wide window, as webmail shows it full screen." },
  phone: { label: "Phone", width: "375px", phone: true,
    caption: "The email on a 375 px phone screen, where the layout stacks." },
  dark: { label: "Dark", width: "600px", dark: true,
    caption: "Dark mode as Apple Mail and other clients that honour the email's own dark styles show it, whatever this computer's setting. Gmail's apps invert colours themselves." },
  images: { label: "Images off", width: "600px", imagesOff: true,
    caption: "Images blocked, as many clients start: each image's alt text in its place." },
  text: { label: "Plain text",
    caption: "email.txt, the plain-text part, at its real width in a monospace font." },
  inbox: { label: "Inbox",
    caption: "The inbox row: sender, subject and the snippet, cut where each client cuts them." },
  editions: { label: "Editions", width: "600px",
    caption: "This date's editions side by side." },
};
const STORE_KEY = "newsletter-preview.view";
const PANEL_KEY = "newsletter-preview.panel";
// The width each view stands for; a narrower stage says so rather than pretend.
const REAL_WIDTH = { desktop: 600, phone: 375, dark: 600, images: 600, inbox: 1000, editions: 1216, wide: 1000 };

let view = localStorage.getItem(STORE_KEY);
if (!(view in VIEWS)) view = "desktop";
let state = null;
let refreshing = false;
const frames = new Map();

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

// Colour schemes: a media query that always holds, and one that never does.
const ALWAYS = "(min-width: 0px)";
const NEVER = "(max-width: -1px)";

// Make the email's own dark (or light) rules apply whatever this computer's setting is.
function applyScheme(doc, dark) {
  for (const sheet of doc.styleSheets) {
    let rules;
    try { rules = sheet.cssRules; } catch { continue; }
    for (let i = rules.length - 1; i >= 0; i--) {
      const rule = rules[i];
      if (!(rule instanceof doc.defaultView.CSSMediaRule)) continue;
      const media = rule.media.mediaText;
      if (!/prefers-color-scheme/.test(media)) continue;
      const condition = media
        .replace(/\(\s*prefers-color-scheme\s*:\s*dark\s*\)/g, dark ? ALWAYS : NEVER)
        .replace(/\(\s*prefers-color-scheme\s*:\s*light\s*\)/g, dark ? NEVER : ALWAYS);
      const body = Array.from(rule.cssRules, (r) => r.cssText).join("\n");
      sheet.deleteRule(i);
      sheet.insertRule(`@media ${condition} {\n${body}\n}`, i);
    }
  }
  doc.documentElement.style.colorScheme = dark ? "dark" : "light";
}

// What a client with images blocked shows: each image's alt text in the image's box.
function blockImages(doc) {
  for (const img of Array.from(doc.images)) {
    img.removeAttribute("srcset");
    img.removeAttribute("src");
  }
}

// The images that have a local copy: shown from it, as the address may not be online.
// Resolves once they are decoded, so the frame is scrolled after they have taken their height.
function localImages(doc, edition) {
  const local = new Map((edition.images || []).map((image) => [image.url, image.src]));
  const swapped = [];
  for (const img of Array.from(doc.images)) {
    const src = local.get(img.getAttribute("src"));
    if (src) { img.setAttribute("src", src); swapped.push(img.decode().catch(() => {})); }
  }
  return Promise.all(swapped);
}

class EmailFrame {
  constructor(slug) {
    this.slug = slug;
    this.box = el("div", { class: "frame" });
    // Two frames: the one shown and the one the next build loads into, out of sight.
    this.frames = [0, 1].map(() => {
      const frame = el("iframe", { class: "email loading", sandbox: "allow-same-origin allow-popups allow-popups-to-escape-sandbox" });
      this.box.append(frame);
      return frame;
    });
    this.front = null;
    this.key = null;
    this.wrapper = null;
    this.saved = Number(sessionStorage.getItem(`scroll:${slug}`)) || 0;
  }

  reset() {
    this.key = null;
    this.front = null;
    for (const frame of this.frames) frame.classList.add("loading");
  }

  // Write the edition's email (the bytes the server has for it) into the hidden frame, then
  // swap it in where the shown one was scrolled: written, not navigated to, so the swap waits
  // neither for a new page nor for the email's remote images. Resolves once the new content
  // has been painted (true) or when a newer build has taken its place (false).
  async show(edition, mode) {
    const key = `${edition.hash}|${mode.dark ? "dark" : "light"}|${mode.imagesOff ? "noimg" : "img"}`;
    if (key === this.key || !edition.hash) return false;
    this.key = key;
    const next = this.frames.find((frame) => frame !== this.front);
    const url = `/edition/${encodeURIComponent(edition.slug)}/email.html?v=${edition.hash}`;
    const html = await (await fetch(url, { cache: "no-store" })).text();
    if (this.key !== key) return false;
    next.title = `The email: ${edition.file}`;
    const doc = next.contentDocument;
    doc.open();
    doc.write(html);
    doc.close();
    applyScheme(doc, Boolean(mode.dark));
    if (mode.imagesOff) blockImages(doc);
    else await localImages(doc, edition);
    if (this.key !== key) return false;
    const y = this.front ? this.front.contentWindow.scrollY : this.saved;
    next.contentWindow.scrollTo(0, y);
    next.classList.remove("loading");
    if (this.front) this.front.classList.add("loading");
    this.front = next;
    next.contentWindow.addEventListener("scroll", () => {
      this.saved = next.contentWindow.scrollY;
      sessionStorage.setItem(`scroll:${this.slug}`, String(this.saved));
    }, { passive: true });
    await new Promise((resolve) => afterPaint(resolve));
    return true;
  }
}

// Call back once the next frame has been painted: a task queued from the frame's callback
// runs after that frame is on screen.
function afterPaint(callback) {
  requestAnimationFrame(() => setTimeout(callback, 0));
}

function frameFor(slug) {
  if (!frames.has(slug)) frames.set(slug, new EmailFrame(slug));
  return frames.get(slug);
}

function primary() {
  return state.editions.find((e) => e.primary) || state.editions[0];
}

function kb(bytes) {
  return bytes < 10240 ? `${(bytes / 1024).toFixed(1)} KB` : `${Math.round(bytes / 1024)} KB`;
}

// --- the views -------------------------------------------------------------------------

function renderCaption() {
  const caption = $("caption");
  caption.replaceChildren(VIEWS[view].caption);
  const room = $("stage").clientWidth - 32;
  const editions = state ? state.editions.filter((e) => e.built).length : 1;
  const wanted = view === "editions" ? editions * 600 + (editions - 1) * 16 : REAL_WIDTH[view];
  if (wanted && room < wanted) {
    const hint = document.body.classList.contains("no-panel") ? "widen the window" : "hide the panel (P) or widen the window";
    caption.append(" ", el("span", { class: "narrow", text: `This window leaves ${room} px of the ${wanted} px this view needs: ${hint}.` }));
  }
  if (view === "images" && state && primary().built) {
    const frame = frames.get(primary().slug);
    const doc = frame && frame.front ? frame.front.contentDocument : null;
    if (doc && !doc.images.length) caption.append(" ", el("span", { text: "This issue has no images." }));
  }
}

function setPanel(shown) {
  document.body.classList.toggle("no-panel", !shown);
  $("panel-toggle").setAttribute("aria-expanded", String(shown));
  localStorage.setItem(PANEL_KEY, shown ? "shown" : "hidden");
  if (state) renderCaption();
}

function renderViews() {
  const nav = $("views");
  if (!nav.childElementCount) {
    Object.entries(VIEWS).forEach(([name, spec], index) => {
      const button = el("button", { type: "button", "data-view": name, title: `${spec.label} (key ${index + 1})`, text: spec.label });
      button.addEventListener("click", () => setView(name));
      nav.append(button);
    });
  }
  for (const button of nav.children) {
    button.setAttribute("aria-pressed", String(button.dataset.view === view));
    if (button.dataset.view === "editions") {
      button.disabled = !state || state.editions.length < 2;
      button.title = button.disabled ? "No other edition of this date" : "Editions side by side (key 8)";
    }
  }
}

function setView(name) {
  if (!(name in VIEWS)) return;
  view = name;
  localStorage.setItem(STORE_KEY, name);
  delete document.documentElement.dataset.view;
  $("stage").replaceChildren();
  for (const frame of frames.values()) frame.reset();
  render();
}

async function renderStage() {
  const stage = $("stage");
  const spec = VIEWS[view === "editions" && state.editions.length < 2 ? "desktop" : view];
  const main = primary();
  stage.className = `view-${view}`;
  renderCaption();
  if (!main.built) {
    stage.replaceChildren(el("p", { class: "empty", text: "Nothing to show until the issue builds: fix the problems above and save." }));
    return true;
  }
  if (view === "text") return renderText(stage, main);
  if (view === "inbox") { renderInbox(stage, main); return true; }
  const shown = view === "editions" ? state.editions.filter((e) => e.built) : [main];
  const boxes = [];
  const painted = [];
  for (const edition of shown) {
    const frame = frameFor(edition.slug);
    frame.box.style.width = spec.width;
    frame.box.classList.toggle("phone", Boolean(spec.phone));
    frame.box.classList.toggle("dark", Boolean(spec.dark));
    if (view === "editions") {
      // The same wrapper every time: an iframe moved in the page loads again.
      frame.box.style.width = "100%";
      if (!frame.wrapper) frame.wrapper = el("div", { class: "edition" }, el("span", { class: "label" }), frame.box);
      frame.wrapper.firstChild.textContent = `${edition.file} · ${edition.summary.lang}`;
      if (frame.box.parentNode !== frame.wrapper) frame.wrapper.append(frame.box);
      boxes.push(frame.wrapper);
    } else {
      boxes.push(frame.box);
    }
    painted.push(frame.show(edition, spec));
  }
  if (stage.childElementCount !== boxes.length || boxes.some((box, i) => stage.children[i] !== box)) {
    stage.replaceChildren(...boxes);
  }
  await Promise.all(painted);
  renderCaption();
  return true;
}

async function renderText(stage, edition) {
  const response = await fetch(`/edition/${encodeURIComponent(edition.slug)}/email.txt?v=${edition.hash}`, { cache: "no-store" });
  const text = await response.text();
  let pre = stage.querySelector("pre.text-view");
  const top = pre ? pre.scrollTop : 0;
  if (!pre) { pre = el("pre", { class: "text-view", tabindex: "0", "aria-label": "The plain-text email" }); stage.replaceChildren(pre); }
  const columns = Math.max(0, ...text.split("\n").map((line) => Array.from(line).length));
  pre.textContent = text;
  pre.style.width = `calc(${columns + 1}ch + 40px)`;
  pre.title = `${columns} columns at the widest line`;
  pre.scrollTop = top;
  await new Promise((resolve) => afterPaint(resolve));
  return true;
}

function renderInbox(stage, edition) {
  const s = edition.summary;
  const when = new Date(`${s.date}T12:00:00`).toLocaleDateString(undefined, { month: "short", day: "numeric" });
  const snippet = s.snippet;
  const gmailWeb = el("div", { class: "client gmail-web" },
    el("h3", { text: "Gmail on the web, a 1,000 px inbox" }),
    el("div", { class: "row" },
      el("span", { class: "from", text: s.sender_name }),
      el("span", { class: "line", dir: "auto" }, el("span", { class: "subject", text: s.subject }), el("span", { class: "snip", text: ` – ${snippet}` })),
      el("span", { class: "when", text: when })));
  const phone = (klass, title) => el("div", { class: `client ${klass}` },
    el("h3", { text: title }),
    el("div", { class: "row phone-row" },
      el("div", { class: "from", text: s.sender_name }), el("span", { class: "when", text: when }),
      el("div", { class: "subject", dir: "auto", text: s.subject }),
      el("div", { class: "snip", dir: "auto", text: snippet })));
  const counts = el("p", { class: "counts", text: `Subject ${Array.from(s.subject).length} characters · preheader ${Array.from(s.preheader).length} characters · from ${s.sender_name} <${s.sender_address}>` });
  const rest = snippet.startsWith(s.preheader) ? snippet.slice(s.preheader.length).trim() : "";
  const after = el("p", { class: "counts", dir: "auto", text: rest
    ? `After the preheader, inboxes show the email's first text: “${rest.slice(0, 120)}…”`
    : "" });
  stage.replaceChildren(el("div", { class: "inbox" }, gmailWeb, phone("gmail-app", "Gmail app, a 375 px phone"), phone("apple", "Apple Mail, iPhone"), counts, after));
}

// --- the panel -------------------------------------------------------------------------

function renderErrors() {
  const box = $("errors");
  const failed = (view === "editions" ? state.editions : [primary()]).filter((e) => e.failed);
  if (!failed.length) { box.hidden = true; return; }
  const problems = failed.flatMap((e) => e.problems.filter((p) => p.severity === "error"));
  $("errors-title").textContent = `${problems.length} error${problems.length === 1 ? "" : "s"}: the preview shows the last good build`;
  $("errors-text").textContent = problems.map((p) => p.text).join("\n\n");
  const main = failed[0];
  $("errors-note").textContent = main.built
    ? `Below: the last good build, from ${main.built_at}. Fix the file and save: the preview comes back by itself.`
    : "Nothing has built yet. Fix the file and save: the preview comes back by itself.";
  box.hidden = false;
}

function renderFindings() {
  const list = $("findings");
  const items = [];
  for (const edition of state.editions) {
    for (const p of edition.problems) {
      const file = p.file ? p.file.split(/[\\/]/).pop() : edition.file;
      const where = p.line ? `${file}:${p.line}:${p.column}` : file;
      items.push(el("li", { class: p.severity, title: p.text },
        el("span", { class: "where", text: `${where} · ${p.severity}` }),
        el("span", { class: "message", text: p.key ? `${p.key}: ${p.message}` : p.message }),
        p.hint ? el("span", { class: "hint", text: `hint: ${p.hint}` }) : ""));
    }
  }
  list.replaceChildren(...items);
  $("findings-none").hidden = items.length > 0;
}

function renderFigures() {
  const s = primary().summary;
  if (!s) return;
  const meter = (id, value, max) => {
    const m = $(id);
    m.max = max; m.value = value; m.high = max * 0.8; m.optimum = 0; m.low = max * 0.5;
    $(`${id}-text`).textContent = `${kb(value)} of ${kb(max)}`;
  };
  meter("html-size", s.html_bytes, s.html_budget);
  meter("style-size", s.style_bytes, s.style_budget);
  $("length").textContent = `${s.words.toLocaleString()} words · about ${s.minutes} min to read · text ${kb(s.text_bytes)}`;
}

function renderCandidates() {
  const week = state.week ? ` ${state.week[0]} to ${state.week[1]}` : "";
  $("stories-title").textContent = `The week's stories${week}`;
  const note = $("stories-note");
  note.hidden = !state.store_note && state.candidates.length > 0;
  note.textContent = state.store_note || "No stored stories this week.";
  const needle = $("filter").value.trim().toLowerCase();
  const items = state.candidates
    .filter((c) => !needle || `${c.title} ${c.feed} ${c.id}`.toLowerCase().includes(needle))
    .map((c) => {
      const button = el("button", { type: "button", class: "copy", "data-id": c.id, title: "Copy a YAML item for this story", text: "Copy YAML" });
      button.addEventListener("click", () => copy(c.item, button));
      return el("li", { "data-id": c.id },
        el("span", { class: "title", dir: "auto", text: c.title }),
        button,
        el("span", { class: "meta" }, `${c.feed} · ${c.when || "no date"} · `, el("code", { text: c.id }),
          c.used ? el("span", { class: `used${c.used === "this issue" ? " here" : ""}`, text: `in ${c.used}` }) : ""));
    });
  $("candidates").replaceChildren(...items);
  $("no-match").hidden = items.length > 0 || state.candidates.length === 0;
}

// --- the pre-send checks: run only when asked, on the primary edition's latest build ------

function renderCheckFindings(problems) {
  $("check-findings").replaceChildren(...problems.map((p) => {
    const file = p.file ? p.file.split(/[\\/]/).pop() : "";
    const where = p.line ? `${file}:${p.line}:${p.column}` : file;
    return el("li", { class: p.severity, title: p.text },
      el("span", { class: "where", text: `${where} · ${p.severity}` }),
      el("span", { class: "message", text: p.message }),
      p.hint ? el("span", { class: "hint", text: `hint: ${p.hint}` }) : "");
  }));
}

// What needs the editor first: dead links, then moved and doubtful ones, then the rest.
const VERDICT_ORDER = ["broken", "refused", "moved", "doubtful", "ok", "skipped"];

function renderLinkRows(links) {
  const table = $("check-links-table");
  const sorted = [...links].sort((a, b) => VERDICT_ORDER.indexOf(a.verdict) - VERDICT_ORDER.indexOf(b.verdict));
  table.tBodies[0].replaceChildren(...sorted.map((link) => el("tr", { class: `verdict-${link.verdict}` },
    el("td", { text: link.verdict + (link.cached ? " (remembered)" : "") }),
    el("td", { class: "url", title: link.detail, text: link.url }),
    el("td", { text: link.written_at.join(", ") }))));
  table.hidden = links.length === 0;
}

function renderSpamRows(spam) {
  const table = $("check-spam-table");
  if (!spam) { table.hidden = true; return; }
  $("check-spam-caption").textContent = `Spam score ${spam.score.toFixed(1)} (SpamAssassin ${spam.spamassassin}, local tests only; ${spam.spam_at.toFixed(1)} is spam)`;
  table.tBodies[0].replaceChildren(...spam.rules.map((rule) => el("tr", {},
    el("td", { text: (Math.round(rule.points * 10) / 10 + 0).toFixed(1) }),
    el("td", { title: rule.description, text: rule.name }),
    el("td", { text: rule.advice || rule.description }))));
  table.hidden = false;
}

// The latest report of each check, shown together until the editor runs one again.
const checkReports = { links: null, spam: null };

async function runCheck(kind) {
  if (!state) return;
  const main = primary();
  const status = $("check-status");
  const buttons = [$("check-links"), $("check-spam")];
  buttons.forEach((b) => { b.disabled = true; });
  status.textContent = kind === "links" ? "Trying every link…" : "Scoring the email…";
  try {
    const refresh = $("check-refresh").checked ? "?refresh=1" : "";
    const response = await fetch(`/edition/${encodeURIComponent(main.slug)}/check/${kind}${refresh}`, { method: "POST" });
    if (!response.ok) throw new Error(`the preview answered ${response.status}`);
    const report = await response.json();
    if (report.error) { status.textContent = report.error; return; }
    const of = `(the build of ${main.built_at})`;
    if (kind === "links") {
      renderLinkRows(report.links);
      checkReports.links = { problems: report.problems, line: `Links: ${report.summary} ${of}` };
    } else {
      renderSpamRows(report.spam);
      const line = report.spam
        ? `Spam score ${report.spam.score.toFixed(1)}: ${report.spam.verdict}. ${of}`
        : "The spam score could not be had: see the finding below.";
      checkReports.spam = { problems: report.problems, line };
    }
    const done = [checkReports.links, checkReports.spam].filter(Boolean);
    renderCheckFindings(done.flatMap((r) => r.problems));
    status.textContent = done.map((r) => r.line).join("\n");
    document.documentElement.dataset[`checked${kind}`] = String(state.version);
  } catch (error) {
    status.textContent = `The check did not run: ${error.message}`;
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = el("textarea", { style: "position:fixed;opacity:0" });
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  button.textContent = "Copied";
  setTimeout(() => { button.textContent = "Copy YAML"; }, 1500);
}

function renderHeader() {
  const main = primary();
  const s = main.summary;
  $("issue").textContent = s ? `Issue ${s.number} · ${s.subject}` : main.file;
  document.title = s ? `Preview: ${s.subject}` : "newsletter preview";
  const status = $("status");
  const errors = main.problems.filter((p) => p.severity === "error").length;
  status.classList.toggle("bad", main.failed);
  status.textContent = main.failed
    ? `${errors} error${errors === 1 ? "" : "s"} in ${main.file}`
    : `built ${main.built_at} in ${main.build_ms} ms`;
}

async function render() {
  if (!state) return;
  renderViews();
  renderHeader();
  renderErrors();
  renderFindings();
  renderFigures();
  renderCandidates();
  const version = state.version;
  const shown = view;
  await renderStage();
  // For tests and the latency benchmark: which build and view are on screen, and since when.
  if (state.version === version && view === shown) {
    document.documentElement.dataset.version = String(version);
    document.documentElement.dataset.view = shown;
    window.__painted = { version, at: performance.timeOrigin + performance.now() };
  }
}

// Render the newest state; states that arrive while one renders wait, and only the last
// of them is rendered next.
let waiting = null;
async function show(next) {
  if (refreshing) { waiting = next; return; }
  refreshing = true;
  try {
    for (let current = next; current; current = waiting, waiting = null) {
      state = current;
      await render();
    }
  } finally {
    refreshing = false;
  }
}

function connect() {
  const events = new EventSource("/events");
  events.addEventListener("build", (event) => show(JSON.parse(event.data)));
  events.addEventListener("error", () => {
    const status = $("status");
    status.classList.add("bad");
    status.textContent = "the preview stopped: run `newsletter preview` again; this page reconnects by itself";
  });
}

document.addEventListener("keydown", (event) => {
  if (event.target instanceof HTMLInputElement || event.metaKey || event.ctrlKey || event.altKey) return;
  if (event.key === "p" || event.key === "P") { setPanel(document.body.classList.contains("no-panel")); return; }
  const index = Number(event.key) - 1;
  const names = Object.keys(VIEWS);
  if (index >= 0 && index < names.length) setView(names[index]);
});
$("filter").addEventListener("input", () => state && renderCandidates());
$("check-links").addEventListener("click", () => runCheck("links"));
$("check-spam").addEventListener("click", () => runCheck("spam"));
$("panel-toggle").addEventListener("click", () => setPanel(document.body.classList.contains("no-panel")));
window.addEventListener("resize", () => state && renderCaption());
setPanel(localStorage.getItem(PANEL_KEY) !== "hidden");
connect();
