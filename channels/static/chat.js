// Web chat for the Chiba City Assistant: talks to POST /api/chat (same origin), no build step, no dependencies.
// UI strings come from the server through i18n.js (window.CHIBA_I18N), loaded first; the picker in index.html lists
// the languages (with their HTML lang tags).
"use strict";

(() => {
  const SENDER_KEY = "chiba-assistant.sender-id";
  const LANG_KEY = "chiba-assistant.lang";
  const MAX_CHARS = 2000;
  const HELPLINE_TEL = "043-204-5380";
  const I18N = window.CHIBA_I18N || { fallback: {}, load: () => Promise.resolve(null) };
  const RTL = new Set(["ar", "fa", "he", "ur"]); // none of ours today; dir follows the language when one is added
  // Split text into plain parts, web links and Japanese phone numbers (rendered as tel: links).
  const LINKABLE = /(https?:\/\/[^\s<>"'）」]+|0\d{1,4}-\d{1,4}-\d{3,4})/g;

  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("message");
  const sendButton = document.getElementById("send");
  const langSelect = document.getElementById("lang");
  const typing = document.getElementById("typing");
  const status = document.getElementById("status");
  const CODES = new Set([...langSelect.options].map((o) => o.value).filter((code) => code !== "auto"));
  let pending = 0;
  let ui = "ja"; // language of the page's own strings
  let strings = I18N.fallback; // the page's own strings, in `ui`
  let uiSwitch = 0; // counts language switches, so a slow answer for an earlier choice is dropped

  function randomId() {
    // crypto.randomUUID needs a secure context; getRandomValues works on plain http too (e.g. a LAN kiosk).
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function storageGet(key) {
    try {
      return localStorage.getItem(key);
    } catch (_) {
      return null; // storage disabled (private mode): the id then lasts for this page only
    }
  }

  function storageSet(key, value) {
    try {
      localStorage.setItem(key, value);
    } catch (_) {
      /* see storageGet */
    }
  }

  let senderId = storageGet(SENDER_KEY);
  if (!senderId || senderId.length > 128) {
    senderId = randomId();
    storageSet(SENDER_KEY, senderId);
  }

  // The HTML lang attribute wants a BCP 47 tag (ja-easy is Japanese, zh is zh-Hans): the picker's option carries it.
  function htmlLang(code) {
    if (!code) return "ja";
    const option = [...langSelect.options].find((o) => o.value === code);
    return (option && option.lang) || code;
  }

  function t(key, values = {}) {
    const text = strings[key] || I18N.fallback[key] || "";
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
    setText("#greeting .visually-hidden", t("web.assistant"));
    document.getElementById("greeting")?.setAttribute("lang", tag);
    sendButton.textContent = t("web.send");
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
    if (pending > 0) status.textContent = t("web.busy");
    document.documentElement.dataset.uiLang = ui; // the page's words are now in `ui` (tests wait for this)
  }

  const savedLang = storageGet(LANG_KEY);
  if (savedLang && [...langSelect.options].some((o) => o.value === savedLang)) langSelect.value = savedLang;
  applyUiLanguage();
  langSelect.addEventListener("change", () => {
    storageSet(LANG_KEY, langSelect.value);
    applyUiLanguage();
  });

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

  function addMessage(role, text, options = {}) {
    const wrapper = document.createElement("div");
    wrapper.className = `message ${role}`;
    if (options.lang) wrapper.lang = options.lang; // a user's text has no known language until the reply says
    const who = document.createElement("span");
    who.className = "visually-hidden";
    who.lang = htmlLang(ui);
    who.textContent = t(role === "user" ? "web.you" : role === "error" ? "web.error_label" : "web.assistant");
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    if (role === "user") bubble.textContent = text;
    else appendLinkified(bubble, text);
    wrapper.append(who, bubble);
    log.append(wrapper);
    return wrapper;
  }

  function addChoices(wrapper, buttons) {
    const group = document.createElement("div");
    group.className = "choices";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", t("web.choices"));
    for (const { title, payload } of buttons) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "choice";
      button.textContent = title;
      button.addEventListener("click", () => {
        // One answer per question: the other choices stay visible but inactive.
        for (const b of group.querySelectorAll("button")) b.disabled = true;
        button.classList.add("chosen");
        button.setAttribute("aria-pressed", "true");
        input.focus();
        send(payload, title);
      });
      group.append(button);
    }
    wrapper.append(group);
  }

  function addSources(wrapper, sources) {
    const safe = sources.filter((url) => /^https?:\/\//.test(url));
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
      a.textContent = url.replace(/^https?:\/\//, "");
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

  function renderReply(data, userWrapper) {
    const lang = htmlLang(typeof data.lang === "string" ? data.lang : ui);
    userWrapper.lang = lang; // the server detected (or was told) the language of what the user wrote
    const messages = Array.isArray(data.messages) ? data.messages : [];
    let lastWrapper = null;
    for (const message of messages) {
      lastWrapper = addMessage("bot", String(message.text || ""), { lang });
      if (Array.isArray(message.buttons) && message.buttons.length > 0) addChoices(lastWrapper, message.buttons);
    }
    if (lastWrapper === null) lastWrapper = addMessage("bot", "…", { lang });
    const sources = data.meta && Array.isArray(data.meta.sources) ? data.meta.sources : [];
    addSources(lastWrapper, sources);
  }

  // The server explains errors in Japanese and English; other languages get our own words for the error's kind.
  function errorText(data, status) {
    const error = data && data.error ? data.error : {};
    if (ui === "ja" && error.message_ja) return error.message_ja;
    if (ui === "en" && error.message) return error.message;
    if (error.code === "text_too_long" || error.code === "payload_too_large") {
      return t("web.error_too_long", { max: MAX_CHARS });
    }
    if (error.code === "empty_text") return t("web.error_empty");
    if (status === 504) return t("web.error_timeout");
    if (status >= 500) return t("common.unavailable");
    return t("web.error_generic");
  }

  // serverFault: the assistant itself failed (5xx, network), so point to the phone line as well.
  function showError(message, serverFault) {
    const text = serverFault ? `${message}\n${t("web.helpline")}` : message;
    addMessage("error", text, { lang: htmlLang(ui) }); // announced by the log's aria-live region like any other
  }

  function setBusy(busy) {
    pending += busy ? 1 : -1;
    const active = pending > 0;
    typing.hidden = !active;
    log.setAttribute("aria-busy", active ? "true" : "false");
    status.textContent = active ? t("web.busy") : "";
    if (active) typing.scrollIntoView({ block: "nearest" });
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  async function send(text, shownAs) {
    const chosen = langSelect.value;
    const userWrapper = addMessage("user", shownAs ?? text, { lang: chosen === "auto" ? "" : htmlLang(chosen) });
    scrollToEnd();
    setBusy(true);
    try {
      const response = await fetch("/api/chat", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ sender_id: senderId, text, lang: chosen }),
      });
      let data = null;
      try {
        data = await response.json();
      } catch (_) {
        data = null; // e.g. a proxy's HTML error page
      }
      if (response.ok && data) renderReply(data, userWrapper);
      else showError(errorText(data, response.status), response.status >= 500 || !data);
    } catch (_) {
      showError(t("web.error_generic"), true); // network down or server unreachable
    } finally {
      setBusy(false);
      scrollToEnd();
    }
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
    input.focus();
    send(text);
  });

  input.addEventListener("keydown", (event) => {
    // Enter sends, Shift+Enter is a new line; never send while an IME is composing Japanese text.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      form.requestSubmit(sendButton);
    }
  });
})();
