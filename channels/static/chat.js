// Web chat for the Chiba City Assistant: talks to POST /api/chat (same origin), no build step, no dependencies.
// UI strings come from the server through i18n.js (window.CHIBA_I18N), loaded first; the picker in index.html lists
// the languages (with their HTML lang tags).
//
// The conversation survives a reload: the sender id and the transcript (questions, answers, buttons, sources) stay in
// this browser's localStorage, nowhere else. "New conversation" clears both and takes a new sender id, so the
// assistant starts over too (it remembers a town or an item per sender id). Questions are sent one at a time, in
// order: one asked while an answer is pending waits, marked as waiting, and every answer goes under its own question.
//
// My area (channels/area.py): a town chosen once in the picker — or the town the assistant last answered collection
// days for (meta.area) — is shown as a chip; it opens the next collection days per category and an .ics export.
// Choosing a town also tells the assistant (POST /api/area/choose: the gateway sends the town's payload itself), so a
// later "when is PET bottle day?" uses it. The area is kept with the sender id and cleared by "new conversation".
// Sources are links whose text is the page's label (meta.source_labels) where the gateway has one.
"use strict";

(() => {
  const SENDER_KEY = "chiba-assistant.sender-id";
  const LANG_KEY = "chiba-assistant.lang";
  const TRANSCRIPT_KEY = "chiba-assistant.transcript";
  const AREA_KEY = "chiba-assistant.area";
  const MAX_CHARS = 2000;
  const COUNTER_FROM = 1600; // the character counter appears when the text nears the limit
  const MAX_SAVED = 200; // transcript entries kept in storage (the oldest go first)
  const HELPLINE_TEL = "043-204-5380";
  const I18N = window.CHIBA_I18N || {
    fallback: {},
    load: () => Promise.resolve(null),
    page: () => ({}),
    starters: [],
  };
  const RTL = new Set(["ar", "fa", "he", "ur"]); // none of ours today; dir follows the language when one is added
  // Split text into plain parts, web links and Japanese phone numbers (rendered as tel: links).
  const LINKABLE = /(https?:\/\/[^\s<>"'）」]+|0\d{1,4}-\d{1,4}-\d{3,4})/g;

  const log = document.getElementById("log");
  const greeting = document.getElementById("greeting");
  const form = document.getElementById("composer");
  const input = document.getElementById("message");
  const sendButton = document.getElementById("send");
  const newButton = document.getElementById("new-conversation");
  const langSelect = document.getElementById("lang");
  const typing = document.getElementById("typing");
  const status = document.getElementById("status");
  const counter = document.getElementById("counter");
  const counterStatus = document.getElementById("counter-status");
  const areaSection = document.getElementById("area");
  const areaToggle = document.getElementById("area-toggle");
  const areaPanel = document.getElementById("area-panel");
  const areaForm = document.getElementById("area-form");
  const areaQuery = document.getElementById("area-query");
  const areaSearchButton = document.getElementById("area-search");
  const areaStatus = document.getElementById("area-status");
  const areaResults = document.getElementById("area-results");
  const areaCalendar = document.getElementById("area-calendar");
  const areaActions = document.getElementById("area-actions");
  const areaChange = document.getElementById("area-change");
  const areaClose = document.getElementById("area-close");
  const CODES = new Set([...langSelect.options].map((o) => o.value).filter((code) => code !== "auto"));
  let ui = "ja"; // language of the page's own strings
  let strings = I18N.fallback; // the page's own strings, in `ui`
  let pageStrings = I18N.page("ja"); // the words of the page's newer controls (i18n.js), in `ui`
  let uiSwitch = 0; // counts language switches, so a slow answer for an earlier choice is dropped

  // --- storage ------------------------------------------------------------------------------------------------------

  function storageGet(key) {
    try {
      return localStorage.getItem(key);
    } catch (_) {
      return null; // storage disabled (private mode): the id and transcript then last for this page only
    }
  }

  function storageSet(key, value) {
    try {
      localStorage.setItem(key, value);
    } catch (_) {
      /* see storageGet; a full storage keeps the previous copy */
    }
  }

  function storageRemove(key) {
    try {
      localStorage.removeItem(key);
    } catch (_) {
      /* see storageGet */
    }
  }

  function randomId() {
    // crypto.randomUUID needs a secure context; getRandomValues works on plain http too (e.g. a LAN kiosk).
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  let senderId = storageGet(SENDER_KEY);
  if (!senderId || senderId.length > 128) {
    senderId = randomId();
    storageSet(SENDER_KEY, senderId);
  }

  // Transcript entries: {role: "user", text, lang} and {role: "bot", text, lang, buttons?, chosen?, sources?,
  // starters?}; `lang` is the code the server answered in. Kept with the sender id it belongs to.
  function loadTranscript() {
    try {
      const saved = JSON.parse(storageGet(TRANSCRIPT_KEY) || "null");
      if (saved && saved.sender === senderId && Array.isArray(saved.entries)) {
        return saved.entries.filter((e) => e && (e.role === "user" || e.role === "bot") && typeof e.text === "string");
      }
    } catch (_) {
      /* a damaged copy: start with an empty conversation */
    }
    return [];
  }

  let transcript = loadTranscript();

  function saveTranscript() {
    if (transcript.length > MAX_SAVED) transcript = transcript.slice(-MAX_SAVED);
    storageSet(TRANSCRIPT_KEY, JSON.stringify({ sender: senderId, entries: transcript }));
  }

  // The resident's area {label, ward, name} (town names as printed in the official table), kept with its sender id:
  // the assistant remembers the town per sender id too.
  function validArea(value) {
    return value && typeof value.label === "string" && value.label.length > 0 && value.label.length <= 64;
  }

  function loadArea() {
    try {
      const saved = JSON.parse(storageGet(AREA_KEY) || "null");
      if (saved && saved.sender === senderId && validArea(saved.area)) return saved.area;
    } catch (_) {
      /* a damaged copy: no area */
    }
    return null;
  }

  let area = loadArea();
  let calendarData = null; // the last /api/area/calendar answer for `area`, in the page's language
  let calendarRequests = 0; // a slower answer for an earlier area or language is dropped
  let searchRequests = 0;
  let searchTimer = 0;
  let focusCalendar = false; // after a town is picked, its calendar heading takes the focus once it is shown

  function saveArea() {
    if (area) storageSet(AREA_KEY, JSON.stringify({ sender: senderId, area }));
    else storageRemove(AREA_KEY);
  }

  // --- language of the page -----------------------------------------------------------------------------------------

  // The HTML lang attribute wants a BCP 47 tag (ja-easy is Japanese, zh is zh-Hans): the picker's option carries it.
  function htmlLang(code) {
    if (!code) return "ja";
    const option = [...langSelect.options].find((o) => o.value === code);
    return (option && option.lang) || code;
  }

  function t(key, values = {}) {
    const text = strings[key] || pageStrings[key] || I18N.fallback[key] || "";
    return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
  }

  // On "auto" the page speaks the browser's language when we have it (fil → tl, in → id), else Japanese.
  function browserLanguage() {
    for (const tag of navigator.languages || [navigator.language || ""]) {
      const base = String(tag).toLowerCase().split("-")[0];
      const code = { fil: "tl", in: "id" }[base] || base;
      if (code !== "ja-easy" && CODES.has(code)) return code;
    }
    return "ja";
  }

  // Fill a template whose {name} placeholders become the given DOM nodes (never HTML strings).
  function fillWithNodes(element, template, nodes) {
    element.replaceChildren();
    for (const part of template.split(/(\{\w+\})/)) {
      const name = part.slice(1, -1);
      if (/^\{\w+\}$/.test(part) && nodes[name]) element.append(nodes[name]);
      else if (part) element.append(part);
    }
  }

  function setText(selector, text) {
    const element = document.querySelector(selector);
    if (element) element.textContent = text;
  }

  async function applyUiLanguage() {
    const chosen = langSelect.value;
    const wanted = chosen !== "auto" && CODES.has(chosen) ? chosen : browserLanguage();
    const current = ++uiSwitch;
    const loaded = await I18N.load(wanted);
    if (current !== uiSwitch) return; // the resident has picked another language meanwhile
    ui = loaded ? wanted : "ja"; // without the server's strings the page stays Japanese
    strings = loaded || I18N.fallback;
    pageStrings = I18N.page(ui);
    const tag = htmlLang(ui);
    document.documentElement.lang = tag;
    document.documentElement.dir = RTL.has(tag.split("-")[0]) ? "rtl" : "ltr";
    document.title = t("web.title");
    setText(".site-header h1", t("web.title"));
    setText(".site-header .subtitle", t("web.subtitle"));
    setText("#log-heading", t("web.log_heading"));
    setText("#typing .typing-text", t("web.typing"));
    setText("label[for='message']", t("web.input_label"));
    setText("#message-hint", t("web.hint", { max: MAX_CHARS }));
    setText("#greeting .bubble", t("web.greeting"));
    greeting.setAttribute("lang", tag);
    sendButton.textContent = t("web.send");
    newButton.textContent = t("page.new_conversation");
    input.placeholder = t("web.placeholder");
    langSelect.querySelector("option[value='auto']").textContent = t("web.language_auto");

    // The picker's label keeps the English word so anyone can find it again.
    const label = document.querySelector("label[for='lang']");
    label.replaceChildren(t("web.language_label"));
    if (ui !== "en") {
      const english = document.createElement("span");
      english.lang = "en";
      english.textContent = "(Language)";
      label.append(" ", english);
    }

    const strong = document.createElement("strong");
    strong.textContent = t("web.notice_ai");
    const phone = document.createElement("a");
    phone.href = "tel:" + HELPLINE_TEL.replace(/-/g, "");
    phone.textContent = HELPLINE_TEL;
    fillWithNodes(document.getElementById("notice"), t("web.notice"), { ai: strong, phone });

    relabel(tag);
    relabelArea(tag);
    for (const group of log.querySelectorAll(".starters")) fillStarters(group);
    for (const note of log.querySelectorAll(".queued-note")) {
      note.lang = tag;
      note.textContent = t("page.queued");
    }
    for (const retry of log.querySelectorAll(".retry")) {
      retry.lang = tag;
      retry.textContent = t("page.retry");
    }
    updateCounter();
    updateBusy();
    document.documentElement.dataset.uiLang = ui; // the page's words are now in `ui` (tests wait for this)
  }

  // The page's own words inside the log (who said what, sources, buttons' group names) follow the page's language,
  // also for messages restored from an earlier visit.
  function relabel(tag) {
    const labels = { user: "web.you", error: "web.error_label", bot: "web.assistant" };
    for (const who of log.querySelectorAll(".message > .who")) {
      const role = Object.keys(labels).find((r) => who.parentElement.classList.contains(r)) || "bot";
      who.lang = tag;
      who.textContent = t(labels[role]);
    }
    for (const box of log.querySelectorAll(".sources")) {
      box.lang = tag;
      box.querySelector(".sources-label").textContent = t("web.sources");
      for (const hint of box.querySelectorAll("a .visually-hidden")) hint.textContent = t("web.new_tab");
    }
    for (const group of log.querySelectorAll(".choices")) group.setAttribute("aria-label", t("web.choices"));
  }

  // --- rendering ----------------------------------------------------------------------------------------------------

  function appendLinkified(parent, text) {
    let last = 0;
    for (const match of text.matchAll(LINKABLE)) {
      if (match.index > last) parent.append(text.slice(last, match.index));
      const a = document.createElement("a");
      const value = match[0];
      if (value.startsWith("http")) {
        a.href = value;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
      } else {
        a.href = "tel:" + value.replace(/-/g, "");
      }
      a.textContent = value;
      parent.append(a);
      last = match.index + value.length;
    }
    if (last < text.length) parent.append(text.slice(last));
  }

  // A message in the log: at the end, or right `after` a node (an answer goes under its own question).
  function addMessage(role, text, options = {}) {
    const wrapper = document.createElement("div");
    wrapper.className = `message ${role}`;
    if (options.lang) wrapper.lang = options.lang; // a user's text has no known language until the reply says
    const who = document.createElement("span");
    who.className = "visually-hidden who";
    who.lang = htmlLang(ui);
    who.textContent = t(role === "user" ? "web.you" : role === "error" ? "web.error_label" : "web.assistant");
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    if (role === "user") bubble.textContent = text;
    else appendLinkified(bubble, text);
    wrapper.append(who, bubble);
    if (options.after) options.after.after(wrapper);
    else log.append(wrapper);
    return wrapper;
  }

  // The buttons of an answer. A tap sends the payload in the language of the answer it came with (never "auto": a
  // payload's JSON is no language to detect); one answer per question, so the group is then inactive.
  function addChoices(wrapper, entry) {
    const group = document.createElement("div");
    group.className = "choices";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", t("web.choices"));
    entry.buttons.forEach(({ title, payload }, index) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "choice";
      button.textContent = title;
      if (typeof entry.chosen === "number") {
        button.disabled = true;
        if (index === entry.chosen) markChosen(button);
      }
      button.addEventListener("click", () => {
        for (const b of group.querySelectorAll("button")) b.disabled = true;
        markChosen(button);
        entry.chosen = index;
        saveTranscript();
        input.focus();
        ask(payload, { shownAs: title, lang: entry.lang || ui });
      });
      group.append(button);
    });
    wrapper.append(group);
  }

  function markChosen(button) {
    button.classList.add("chosen");
    button.setAttribute("aria-pressed", "true");
  }

  // Starter questions (i18n.js): one tab stop, arrow keys move between them (a toolbar); each sends its question in
  // the page's language, the language of the greeting it came with.
  function addStarters(wrapper) {
    const group = document.createElement("div");
    group.className = "starters";
    group.setAttribute("role", "toolbar");
    group.addEventListener("keydown", (event) => {
      const buttons = [...group.querySelectorAll("button")];
      const at = buttons.indexOf(document.activeElement);
      if (at < 0) return;
      const moves = { ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1 };
      let next = moves[event.key];
      if (event.key === "Home") next = 0;
      if (event.key === "End") next = buttons.length - 1;
      if (next === undefined) return;
      event.preventDefault();
      focusStarter(buttons, (next + buttons.length) % buttons.length);
    });
    wrapper.append(group);
    fillStarters(group);
  }

  function focusStarter(buttons, index) {
    buttons.forEach((b, i) => (b.tabIndex = i === index ? 0 : -1));
    buttons[index].focus();
  }

  function fillStarters(group) {
    group.setAttribute("aria-label", t("page.starters"));
    group.lang = htmlLang(ui);
    group.replaceChildren();
    I18N.starters.forEach((id, index) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "choice starter";
      button.dataset.starter = id;
      button.tabIndex = index === 0 ? 0 : -1;
      button.textContent = t(`starter.${id}`);
      button.addEventListener("click", () => {
        focusStarter([...group.querySelectorAll("button")], index);
        ask(t(`starter.${id}.ask`), { lang: ui });
      });
      group.append(button);
    });
  }

  // Each source is a link whose text is its label (the publisher and the page's title or topic, in the answer's
  // language where sources.yaml has it); without a label, the address. Printing adds the address after a label.
  function addSources(wrapper, sources, labels = {}, labelLang = "") {
    const safe = sources.filter((url) => typeof url === "string" && /^https?:\/\//.test(url));
    if (safe.length === 0) return;
    const box = document.createElement("div");
    box.className = "sources";
    box.lang = htmlLang(ui);
    const label = document.createElement("p");
    label.className = "sources-label";
    label.textContent = t("web.sources");
    const list = document.createElement("ul");
    for (const url of safe) {
      const item = document.createElement("li");
      const a = document.createElement("a");
      a.href = url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      const label = labels && typeof labels[url] === "string" ? labels[url].trim() : "";
      if (label) {
        a.textContent = label;
        a.dataset.label = "true";
        if (labelLang) a.lang = labelLang;
      } else {
        a.textContent = url.replace(/^https?:\/\//, "");
      }
      a.title = url;
      const hint = document.createElement("span");
      hint.className = "visually-hidden";
      hint.textContent = t("web.new_tab");
      a.append(hint);
      item.append(a);
      list.append(item);
    }
    box.append(label, list);
    wrapper.append(box);
  }

  // One transcript entry as a message (live or restored after a reload).
  function renderEntry(entry, after) {
    const lang = htmlLang(entry.lang);
    if (entry.role === "user") return addMessage("user", entry.text, { lang, after });
    const wrapper = addMessage("bot", entry.text, { lang, after });
    if (Array.isArray(entry.buttons) && entry.buttons.length > 0) addChoices(wrapper, entry);
    if (Array.isArray(entry.sources)) addSources(wrapper, entry.sources, entry.sourceLabels, lang);
    if (entry.starters) addStarters(wrapper); // "I did not understand": show what can be asked
    return wrapper;
  }

  function buttonsOf(message) {
    if (!Array.isArray(message.buttons)) return [];
    return message.buttons
      .filter((b) => b && typeof b.title === "string" && typeof b.payload === "string")
      .map(({ title, payload }) => ({ title, payload }));
  }

  // The answer to `turn`, under its question; saved with the question. Returns the first answer's message.
  function renderReply(data, turn) {
    const code = typeof data.lang === "string" && data.lang ? data.lang : turn.lang !== "auto" ? turn.lang : ui;
    turn.userWrapper.lang = htmlLang(code); // the server detected (or was told) the language of what the user wrote
    const messages = Array.isArray(data.messages) ? data.messages : [];
    const entries = messages.map((m) => {
      const entry = { role: "bot", text: String(m.text || ""), lang: code };
      const buttons = buttonsOf(m);
      if (buttons.length > 0) entry.buttons = buttons;
      return entry;
    });
    if (entries.length === 0) entries.push({ role: "bot", text: "…", lang: code });
    const last = entries[entries.length - 1];
    const meta = data.meta || {};
    if (Array.isArray(meta.sources) && meta.sources.length > 0) last.sources = meta.sources.map(String);
    if (meta.source_labels && typeof meta.source_labels === "object") {
      const labels = Object.fromEntries(
        Object.entries(meta.source_labels).filter(([url, label]) => typeof label === "string" && last.sources?.includes(url)),
      );
      if (Object.keys(labels).length > 0) last.sourceLabels = labels;
    }
    if (validArea(meta.area)) setArea(meta.area);
    if (meta.fallback === true) last.starters = true;
    let anchor = turn.userWrapper;
    let first = null;
    for (const entry of entries) {
      anchor = renderEntry(entry, anchor);
      first = first || anchor;
    }
    transcript.push({ role: "user", text: turn.shownAs, lang: code }, ...entries);
    saveTranscript();
    return first;
  }

  // The server explains errors in Japanese and English; other languages get our own words for the error's kind.
  function errorText(data, statusCode) {
    const error = data && data.error ? data.error : {};
    if (ui === "ja" && error.message_ja) return error.message_ja;
    if (ui === "en" && error.message) return error.message;
    if (error.code === "text_too_long" || error.code === "payload_too_large") {
      return t("web.error_too_long", { max: MAX_CHARS });
    }
    if (error.code === "empty_text") return t("web.error_empty");
    if (statusCode === 504) return t("web.error_timeout");
    if (error.code === "rate_limited") return t("common.slow_down");
    if (statusCode >= 500) return t("common.unavailable");
    return t("web.error_generic");
  }

  // serverFault: the assistant itself failed (5xx, network), so point to the phone line as well. A failed question
  // (turn) gets its error right under it, and a retry button when trying again can help.
  function showError(message, serverFault, turn = null, retryable = false) {
    const text = serverFault ? `${message}\n${t("web.helpline")}` : message;
    const after = turn ? turn.userWrapper : null;
    const wrapper = addMessage("error", text, { lang: htmlLang(ui), after }); // announced by the log's live region
    if (turn && retryable) {
      const retry = document.createElement("button");
      retry.type = "button";
      retry.className = "retry";
      retry.lang = htmlLang(ui);
      retry.textContent = t("page.retry");
      retry.addEventListener("click", () => {
        wrapper.remove();
        if (turn.typed && input.value.trim() === turn.text) {
          input.value = ""; // the kept text is what is being sent again
          updateCounter();
        }
        input.focus();
        enqueue(turn);
      });
      wrapper.append(retry);
    }
    wrapper.scrollIntoView({ block: "nearest" });
    return wrapper;
  }

  // --- scrolling ----------------------------------------------------------------------------------------------------

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  // A new answer is read from its first line: bring its start to the top of the log (as far as the log scrolls).
  function scrollToStart(element) {
    const padding = parseFloat(getComputedStyle(log).paddingTop) || 0;
    log.scrollTop += element.getBoundingClientRect().top - log.getBoundingClientRect().top - padding;
  }

  // --- sending, one question at a time ------------------------------------------------------------------------------

  let conversation = 0; // bumped by "new conversation": answers for an earlier one are dropped
  let inFlight = null; // the turn whose answer is awaited
  const queue = []; // turns waiting for it, oldest first

  function busy() {
    return (inFlight !== null && inFlight.conversation === conversation) || queue.length > 0;
  }

  function updateBusy() {
    const active = busy();
    typing.hidden = !active;
    status.textContent = active ? t("web.busy") : "";
    if (active) typing.scrollIntoView({ block: "nearest" });
  }

  function markQueued(turn, queued) {
    const note = turn.userWrapper.querySelector(".queued-note");
    turn.userWrapper.classList.toggle("queued", queued);
    if (queued && !note) {
      const added = document.createElement("span");
      added.className = "queued-note";
      added.lang = htmlLang(ui);
      added.textContent = t("page.queued");
      turn.userWrapper.append(added);
    } else if (!queued && note) {
      note.remove();
    }
  }

  // Ask a question: it shows at once; it is sent when the answers before it have arrived.
  // lang: what to send as `lang` (the picker's value for typed text; the answer's language for a button).
  // town: a town label from the picker, told to the assistant through POST /api/area/choose instead of as text.
  function ask(text, { shownAs = text, lang = langSelect.value, typed = false, town = null } = {}) {
    const userWrapper = addMessage("user", shownAs, { lang: lang === "auto" ? "" : htmlLang(lang) });
    scrollToEnd();
    enqueue({ text, shownAs, lang, typed, town, userWrapper, conversation });
  }

  function enqueue(turn) {
    markQueued(turn, busy());
    queue.push(turn);
    updateBusy();
    pump();
  }

  async function pump() {
    if ((inFlight !== null && inFlight.conversation === conversation) || queue.length === 0) return;
    const turn = queue.shift();
    inFlight = turn;
    markQueued(turn, false);
    const outcome = await post(turn);
    if (inFlight === turn) inFlight = null;
    if (turn.conversation === conversation) settle(turn, outcome);
    updateBusy();
    pump();
  }

  async function post(turn) {
    try {
      const body = turn.town
        ? { sender_id: senderId, town: turn.town, lang: turn.lang }
        : { sender_id: senderId, text: turn.text, lang: turn.lang };
      const response = await fetch(turn.town ? "/api/area/choose" : "/api/chat", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
      });
      let data = null;
      try {
        data = await response.json();
      } catch (_) {
        data = null; // e.g. a proxy's HTML error page
      }
      return { ok: response.ok && data !== null, data, status: response.status };
    } catch (_) {
      return { ok: false, data: null, status: 0 }; // network down or server unreachable
    }
  }

  function settle(turn, { ok, data, status: code }) {
    if (ok) {
      scrollToStart(renderReply(data, turn));
      return;
    }
    const serverFault = code === 0 || code >= 500 || !data;
    const message = code === 0 ? t("web.error_generic") : errorText(data, code);
    showError(message, serverFault, turn, serverFault || code === 429);
    // Keep what the resident typed: it is back in the box (unless they have started a new question).
    if (turn.typed && !input.value.trim()) {
      input.value = turn.text;
      updateCounter();
    }
  }

  // --- new conversation ---------------------------------------------------------------------------------------------

  function newConversation() {
    conversation += 1;
    queue.length = 0;
    senderId = randomId();
    storageSet(SENDER_KEY, senderId);
    transcript = [];
    storageRemove(TRANSCRIPT_KEY);
    clearArea(); // the new sender id has no town at the assistant either
    for (const node of [...log.children]) if (node !== greeting) node.remove();
    updateBusy();
    status.textContent = t("page.new_conversation_done");
    log.scrollTop = 0;
    input.focus();
  }

  // --- my area --------------------------------------------------------------------------------------------------------

  function townSpan(label) {
    const span = document.createElement("span");
    span.lang = "ja"; // town names stay as printed in the official table
    span.textContent = label;
    return span;
  }

  function relabelArea(tag) {
    areaSection.lang = tag;
    areaSection.setAttribute("aria-label", t("area.region"));
    setText("label[for='area-query']", t("area.search_label"));
    areaSearchButton.textContent = t("area.search");
    areaResults.setAttribute("aria-label", t("area.town_list"));
    areaChange.textContent = t("area.change");
    areaClose.textContent = t("area.close");
    renderAreaToggle();
    if (area) loadCalendar(); // category names and dates in the page's language
  }

  function renderAreaToggle() {
    areaToggle.classList.toggle("has-area", Boolean(area));
    if (area) fillWithNodes(areaToggle, t("area.chip"), { town: townSpan(area.label) });
    else areaToggle.textContent = t("area.choose");
  }

  function openArea(picker) {
    areaPanel.hidden = false;
    areaToggle.setAttribute("aria-expanded", "true");
    showPicker(picker || !area);
  }

  function closeArea() {
    areaPanel.hidden = true;
    areaToggle.setAttribute("aria-expanded", "false");
  }

  function showPicker(picker) {
    areaForm.hidden = !picker;
    areaCalendar.hidden = picker || !area;
    areaActions.hidden = false; // "close" always; "change area" once there is one and the calendar shows
    areaChange.hidden = picker || !area;
    if (picker) areaQuery.focus();
  }

  function setArea(next) {
    const changed = !area || area.label !== next.label;
    area = { label: next.label, ward: String(next.ward || ""), name: String(next.name || "") };
    saveArea();
    renderAreaToggle();
    if (changed || !calendarData) loadCalendar();
    if (!areaPanel.hidden) showPicker(false);
  }

  function clearArea() {
    area = null;
    calendarData = null;
    calendarRequests += 1;
    saveArea();
    areaCalendar.replaceChildren();
    areaResults.replaceChildren();
    areaStatus.textContent = "";
    areaQuery.value = "";
    closeArea();
    renderAreaToggle();
  }

  async function getJson(url) {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      const data = await response.json().catch(() => null);
      return { ok: response.ok && data !== null, data };
    } catch (_) {
      return { ok: false, data: null };
    }
  }

  function calendarQuery(format = "") {
    return `/api/area/calendar${format}?town=${encodeURIComponent(area.label)}&lang=${encodeURIComponent(ui)}`;
  }

  async function loadCalendar() {
    if (!area) return;
    const current = ++calendarRequests;
    const { ok, data } = await getJson(calendarQuery());
    if (current !== calendarRequests) return;
    calendarData = ok ? data : null;
    renderCalendar();
  }

  const DATE_PARTS = { month: "short", day: "numeric", weekday: "short", timeZone: "UTC" };

  // An ISO date (a day in Japan) as the page's language writes it; UTC so no time zone shifts the day.
  function dateText(iso, format) {
    const [y, m, d] = iso.split("-").map(Number);
    return format.format(new Date(Date.UTC(y, m - 1, d)));
  }

  function renderCalendar() {
    areaCalendar.replaceChildren();
    if (!area) return;
    const tag = htmlLang(ui);
    areaCalendar.lang = tag;
    if (!calendarData || !Array.isArray(calendarData.rows)) {
      const error = document.createElement("p");
      error.className = "area-error";
      error.textContent = t("area.error");
      areaCalendar.append(error);
      return;
    }
    let format;
    try {
      format = new Intl.DateTimeFormat(tag, DATE_PARTS);
    } catch (_) {
      format = new Intl.DateTimeFormat("ja", DATE_PARTS); // a browser without that locale: Japanese dates
    }
    const heading = document.createElement("h2");
    heading.className = "area-heading";
    heading.id = "area-calendar-heading";
    heading.tabIndex = -1;
    fillWithNodes(heading, t("area.calendar_heading"), { town: townSpan(calendarData.town.label) });

    const table = document.createElement("table");
    table.className = "area-table";
    const caption = document.createElement("caption");
    caption.textContent = t("area.calendar_caption", {
      from: dateText(calendarData.start, format),
      to: dateText(calendarData.end, format),
    });
    const head = table.createTHead().insertRow();
    for (const key of ["area.category", "area.dates"]) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = t(key);
      head.append(th);
    }
    const body = table.createTBody();
    const nameLang = htmlLang(calendarData.lang);
    for (const row of calendarData.rows) {
      const tr = body.insertRow();
      const th = document.createElement("th");
      th.scope = "row";
      th.lang = nameLang;
      th.textContent = row.categories.map((c) => c.name).join(" / ");
      const td = tr.insertCell();
      td.className = "area-dates";
      if (row.dates.length === 0) {
        td.textContent = t("area.no_dates");
      } else {
        const list = document.createElement("ul");
        for (const iso of row.dates) {
          const item = document.createElement("li");
          const time = document.createElement("time");
          time.dateTime = iso;
          time.textContent = dateText(iso, format);
          item.append(time);
          list.append(item);
        }
        td.append(list);
      }
      if (row.deadline_note && row.deadline_note !== calendarData.deadline_note) {
        const note = document.createElement("p");
        note.className = "area-note";
        note.lang = nameLang;
        note.textContent = row.deadline_note;
        td.append(note);
      }
      tr.prepend(th);
    }
    table.prepend(caption);

    const notes = [];
    const deadline = document.createElement("p");
    deadline.lang = nameLang;
    deadline.textContent = calendarData.deadline_note;
    notes.push(deadline);
    const breakDays = Array.isArray(calendarData.no_collection) ? calendarData.no_collection : [];
    if (breakDays.length > 0) {
      const closed = document.createElement("p");
      closed.textContent = t("area.break", {
        from: dateText(breakDays[0], format),
        to: dateText(breakDays[breakDays.length - 1], format),
      });
      notes.push(closed);
    }
    if (typeof calendarData.footnote === "string" && calendarData.footnote) {
      const footnote = document.createElement("p");
      const text = document.createElement("span");
      text.lang = "ja";
      text.textContent = calendarData.footnote;
      fillWithNodes(footnote, t("area.footnote"), { note: text });
      notes.push(footnote);
    }
    for (const note of notes) note.classList.add("area-note");

    const links = document.createElement("p");
    links.className = "area-links";
    const ics = document.createElement("a");
    ics.className = "area-ics";
    ics.href = calendarQuery(".ics");
    ics.download = "";
    ics.textContent = t("area.ics");
    const source = document.createElement("a");
    source.href = /^https?:\/\//.test(calendarData.source) ? calendarData.source : "#";
    source.target = "_blank";
    source.rel = "noopener noreferrer";
    source.textContent = t("area.source");
    const hint = document.createElement("span");
    hint.className = "visually-hidden";
    hint.textContent = t("web.new_tab");
    source.append(hint);
    links.append(ics, " ", source);
    areaCalendar.append(heading, table, ...notes, links);
    if (focusCalendar && !areaCalendar.hidden) heading.focus();
    focusCalendar = false;
  }

  function renderResults(found) {
    areaResults.replaceChildren();
    if (!found) {
      areaStatus.textContent = t("area.search_error");
      return;
    }
    for (const town of found.towns) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "area-town";
      button.lang = "ja";
      button.append(town.label);
      if (town.reading) {
        const reading = document.createElement("span");
        reading.className = "area-reading";
        reading.textContent = `（${town.reading}）`;
        button.append(reading);
      }
      button.addEventListener("click", () => chooseTown(town));
      item.append(button);
      areaResults.append(item);
    }
    const count = found.towns.length;
    let message = count === 0 ? t("area.none") : t("area.found", { count });
    if (found.more) message += " " + t("area.more");
    areaStatus.textContent = message;
  }

  async function searchTowns(query) {
    const text = query.trim();
    const current = ++searchRequests;
    if (!text) {
      areaResults.replaceChildren();
      areaStatus.textContent = "";
      return;
    }
    const { ok, data } = await getJson(`/api/area/towns?q=${encodeURIComponent(text.slice(0, 100))}`);
    if (current !== searchRequests) return;
    renderResults(ok && Array.isArray(data.towns) ? data : null);
  }

  // A town from the picker: the chip and the calendar at once (they need no assistant), and the assistant is told.
  function chooseTown(town) {
    setArea(town);
    areaResults.replaceChildren();
    areaStatus.textContent = "";
    areaQuery.value = "";
    showPicker(false);
    focusCalendar = true;
    ask(t("area.chosen_message", { town: town.label }), { lang: ui, town: town.label });
  }

  areaToggle.addEventListener("click", () => (areaPanel.hidden ? openArea(false) : closeArea()));
  areaChange.addEventListener("click", () => showPicker(true));
  areaClose.addEventListener("click", () => {
    closeArea();
    areaToggle.focus();
  });
  areaForm.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(searchTimer);
    searchTowns(areaQuery.value);
  });
  areaQuery.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => searchTowns(areaQuery.value), 300);
  });
  areaPanel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      closeArea();
      areaToggle.focus();
    }
  });

  // --- the composer -------------------------------------------------------------------------------------------------

  let counterTimer = 0;

  function updateCounter() {
    const count = [...input.value].length;
    const near = count >= COUNTER_FROM;
    const text = near ? t("page.counter", { count, max: MAX_CHARS }) : "";
    counter.hidden = !near;
    counter.textContent = text;
    counter.classList.toggle("over", count > MAX_CHARS);
    // Said once the resident pauses, not at every key.
    clearTimeout(counterTimer);
    counterTimer = setTimeout(() => (counterStatus.textContent = text), 800);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) {
      input.focus();
      return;
    }
    if ([...text].length > MAX_CHARS) {
      showError(t("web.error_too_long", { max: MAX_CHARS }), false);
      return;
    }
    input.value = "";
    updateCounter();
    input.focus();
    ask(text, { typed: true });
  });

  input.addEventListener("keydown", (event) => {
    // Enter sends, Shift+Enter is a new line; never send while an IME is composing Japanese text.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      form.requestSubmit(sendButton);
    }
  });
  input.addEventListener("input", updateCounter);
  newButton.addEventListener("click", newConversation);

  // --- start --------------------------------------------------------------------------------------------------------

  addStarters(greeting);
  for (const entry of transcript) renderEntry(entry);
  scrollToEnd();

  const savedLang = storageGet(LANG_KEY);
  if (savedLang && [...langSelect.options].some((o) => o.value === savedLang)) langSelect.value = savedLang;
  applyUiLanguage();
  langSelect.addEventListener("change", () => {
    storageSet(LANG_KEY, langSelect.value);
    applyUiLanguage();
  });
})();
