// Web chat for the Chiba City Assistant: talks to POST /api/chat (same origin), no build step, no dependencies.
"use strict";

(() => {
  const SENDER_KEY = "chiba-assistant.sender-id";
  const LANG_KEY = "chiba-assistant.lang";
  const MAX_CHARS = 2000;
  const HELPLINE = "お急ぎの場合は、家庭ごみ相談ダイヤル 043-204-5380 へお電話ください。";
  const GENERIC_ERROR = "申し訳ありません。ただいま回答できません。しばらくしてから、もう一度お試しください。";
  // Split text into plain parts, web links and Japanese phone numbers (rendered as tel: links).
  const LINKABLE = /(https?:\/\/[^\s<>"'）」]+|0\d{1,4}-\d{1,4}-\d{3,4})/g;

  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("message");
  const sendButton = document.getElementById("send");
  const langSelect = document.getElementById("lang");
  const typing = document.getElementById("typing");
  const status = document.getElementById("status");
  let pending = 0;

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

  const savedLang = storageGet(LANG_KEY);
  if (savedLang && [...langSelect.options].some((o) => o.value === savedLang)) langSelect.value = savedLang;
  langSelect.addEventListener("change", () => storageSet(LANG_KEY, langSelect.value));

  // "ja-easy" is a style of Japanese; the HTML lang attribute wants a BCP 47 tag.
  function htmlLang(code) {
    if (!code || code === "ja-easy") return "ja";
    return code === "zh" ? "zh-Hans" : code;
  }

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
    wrapper.lang = options.lang || "ja";
    const who = document.createElement("span");
    who.className = "visually-hidden";
    who.lang = "ja";
    who.textContent = role === "user" ? "あなた:" : role === "error" ? "エラー:" : "アシスタント:";
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
    group.setAttribute("aria-label", "選択肢");
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
    box.lang = "ja";
    const label = document.createElement("p");
    label.className = "sources-label";
    label.textContent = "出典:";
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
      hint.textContent = "（新しいタブで開きます）";
      a.append(hint);
      item.append(a);
      list.append(item);
    }
    box.append(label, list);
    wrapper.append(box);
  }

  function renderReply(data) {
    const lang = htmlLang(data.lang);
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

  // serverFault: the assistant itself failed (5xx, network), so point to the phone line as well.
  function showError(data, serverFault) {
    const message = data && data.error && data.error.message_ja ? data.error.message_ja : GENERIC_ERROR;
    const text = serverFault ? `${message}\n${HELPLINE}` : message;
    addMessage("error", text); // announced by the log's aria-live region like any other message
  }

  function setBusy(busy) {
    pending += busy ? 1 : -1;
    const active = pending > 0;
    typing.hidden = !active;
    log.setAttribute("aria-busy", active ? "true" : "false");
    status.textContent = active ? "回答を作成しています" : "";
    if (active) typing.scrollIntoView({ block: "nearest" });
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  async function send(text, shownAs) {
    addMessage("user", shownAs ?? text);
    scrollToEnd();
    setBusy(true);
    try {
      const response = await fetch("/api/chat", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ sender_id: senderId, text, lang: langSelect.value }),
      });
      let data = null;
      try {
        data = await response.json();
      } catch (_) {
        data = null; // e.g. a proxy's HTML error page
      }
      if (response.ok && data) renderReply(data);
      else showError(data, response.status >= 500 || !data);
    } catch (_) {
      showError(null, true); // network down or server unreachable
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
      showError({ error: { message_ja: `メッセージが長すぎます。${MAX_CHARS}文字以内にしてください。` } }, false);
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
