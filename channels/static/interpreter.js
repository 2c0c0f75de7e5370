// The desk-tablet interpreter: staff (Japanese) and a resident (their language) face to face.
// Curated text first: the phrasebook and the knowledge base's curated answers. A free sentence is matched to them
// (e5, on the action server) and staff pick the meaning; machine translation only where the server has it, labelled.
// The conversation lives in this page only: nothing is stored unless staff save it with the staff token.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const STAFF_LANG = "ja";
  const SOURCE_JA = {
    phrasebook: "フレーズ集",
    knowledge_base: "知識ベース",
    machine: "機械翻訳（誤りの可能性あり）",
    original: "原文",
    none: "未確認（職員が選ぶまで訳はありません）",
  };
  // Language names as staff read them (the staff half is Japanese).
  const NAMES_JA = {
    ja: "日本語", "ja-easy": "やさしい日本語", en: "英語", zh: "中国語", ko: "韓国語", vi: "ベトナム語",
    tl: "タガログ語", ne: "ネパール語", pt: "ポルトガル語", es: "スペイン語", id: "インドネシア語",
  };
  // Why machine translation is not shown (translations/mt_base.Reason), as staff read it.
  const MT_REASONS_JA = {
    no_package: "この端末に翻訳データがありません",
    disabled: "機械翻訳は無効に設定されています",
    unsupported_language: "やさしい日本語はフレーズ集などの確認済みの文だけで表示します",
    too_long: "文が長すぎます",
    engine_error: "翻訳エンジンでエラーが起きました",
    guard: "機械翻訳の結果が品質チェックを通りませんでした",
  };
  const state = {
    lang: "en",
    config: null,
    ui: {},
    turns: [],
    nextId: 1,
    voices: null, // /api/speech/voices, or null when the server has no speech
    pendingResident: null, // the resident turn whose meaning staff are choosing
    audioCtx: null,
  };

  // ---- small helpers ---------------------------------------------------------------------------------------------

  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function langTag(code) {
    const entry = state.config && state.config.languages.find((l) => l.code === code);
    return entry ? entry.tag : code;
  }

  function langName(code) {
    const entry = state.config && state.config.languages.find((l) => l.code === code);
    return entry ? entry.native : code;
  }

  function note(side, text) {
    $(side === "staff" ? "staff-note" : "resident-note").textContent = text || "";
  }

  async function api(path, options = {}) {
    const init = { ...options, headers: { ...(options.headers || {}) } };
    if (options.json !== undefined) {
      init.method = init.method || "POST";
      init.body = JSON.stringify(options.json);
      init.headers["Content-Type"] = "application/json";
      delete init.json;
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (err) {
      throw { message: "network", message_ja: "サーバーに接続できませんでした。" };
    }
    const body = await res.json().catch(() => null);
    if (!res.ok) {
      throw (body && body.error) || { message: `HTTP ${res.status}`, message_ja: `エラー（${res.status}）` };
    }
    return body;
  }

  function phraseScore(p) {
    // The cosine, and how clearly the phrase stands out from the rest of the phrasebook (see vectors.py).
    return `${p.score.toFixed(2)}（確度：${p.confidence === "high" ? "高" : "中"}）`;
  }

  function percent(value) {
    return `${Math.round(value * 100)}%`;
  }

  // ---- the conversation ------------------------------------------------------------------------------------------

  function addTurn(turn) {
    turn.id = state.nextId++;
    state.turns.push(turn);
    render();
    return turn;
  }

  function sourceLabel(turn, side) {
    if (side === "staff") return SOURCE_JA[turn.source] || turn.source;
    const key = turn.spoken && turn.role === "resident" && turn.source === "none" ? "source_speech" : `source_${turn.source}`;
    return state.ui[key] || (turn.source === "none" ? state.ui.waiting : "");
  }

  function speakButton(text, lang, label) {
    return el("button", {
      type: "button",
      class: "speak",
      "aria-label": `${label}: ${text.slice(0, 40)}`,
      text: "🔊 " + label,
      onclick: () => speak(text, lang),
    });
  }

  function turnItem(turn, side) {
    const mainLang = side === "staff" ? STAFF_LANG : state.lang;
    const otherLang = side === "staff" ? state.lang : STAFF_LANG;
    let main = side === "staff" ? turn.ja : turn.text;
    let other = side === "staff" ? turn.text : turn.ja;
    if (!main) {
      // A resident's sentence nobody has matched yet: staff see the original, marked as untranslated.
      main = other;
      other = "";
    }
    const who =
      side === "staff" ? (turn.role === "staff" ? "職員" : "住民") : turn.role === "staff" ? state.ui.who_staff : state.ui.who_you;
    const item = el(
      "li",
      { class: `turn ${turn.role}`, "data-turn": String(turn.id), "data-source": turn.source },
      el("span", { class: "who", text: who }),
      el("p", { class: "main", lang: langTag(main === turn.ja ? STAFF_LANG : state.lang), text: main }),
    );
    if (other) item.append(el("p", { class: "other", lang: langTag(otherLang), text: other }));
    if (turn.understood && side === "resident") {
      item.append(el("p", { class: "understood", text: `${state.ui.understood_as} ${turn.understood}` }));
    }
    item.append(el("p", { class: "source", text: sourceLabel(turn, side) }));
    const sayText = side === "staff" ? turn.ja : turn.text;
    if (sayText) item.append(speakButton(sayText, mainLang, side === "staff" ? "読み上げ" : state.ui.listen));
    return item;
  }

  function render() {
    for (const side of ["staff", "resident"]) {
      const log = $(`${side}-log`);
      log.replaceChildren(...state.turns.map((turn) => turnItem(turn, side)));
      const last = log.lastElementChild;
      if (last) last.scrollIntoView({ block: "nearest" });
    }
    renderTranscript();
  }

  function renderTranscript() {
    $("transcript-lang").textContent = langName(state.lang);
    const when = new Date().toLocaleString("ja-JP");
    $("transcript-meta").textContent = `${when}　住民の言語：${NAMES_JA[state.lang] || state.lang}　発言 ${state.turns.length} 件`;
    $("transcript-rows").replaceChildren(
      ...state.turns.map((turn) =>
        el(
          "tr",
          {},
          el("td", { text: turn.role === "staff" ? "職員" : "住民" }),
          el("td", { lang: "ja", text: turn.ja || "（訳なし）" }),
          el("td", { lang: langTag(state.lang), text: turn.text }),
          el("td", { text: SOURCE_JA[turn.source] || turn.source }),
        ),
      ),
    );
  }

  // ---- phrasebook search -----------------------------------------------------------------------------------------

  function slotForm(hit, onDone) {
    // A phrase with blanks ({window}, {amount}, …): staff fill them before it is said.
    const form = el("form", { class: "slots" });
    const inputs = {};
    for (const name of hit.slots) {
      const id = `slot-${hit.id}-${name}`;
      inputs[name] = el("input", { id, name, value: (hit.values && hit.values[name]) || "", required: "required" });
      form.append(el("label", { for: id, text: `{${name}}` }), inputs[name]);
    }
    form.append(el("button", { type: "submit", text: "OK" }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const slots = {};
      for (const [name, input] of Object.entries(inputs)) slots[name] = input.value.trim();
      onDone(slots);
    });
    return form;
  }

  async function sayPhrase(hit, role, slots = {}) {
    const side = role;
    try {
      const body = await api("/api/interpreter/phrase", { json: { id: hit.id, lang: state.lang, slots } });
      addTurn({ role, ja: body.ja, text: body.text, source: "phrasebook" });
      if (role === "resident") await assist(body.text, "resident", { fromPhrase: true });
      note(side, "");
    } catch (err) {
      note(side, side === "staff" ? err.message_ja : err.message);
    }
  }

  function hitItem(hit, side) {
    const role = side;
    const mainText = side === "staff" ? hit.ja : hit.text;
    const button = el(
      "button",
      { type: "button", class: "hit", lang: langTag(side === "staff" ? STAFF_LANG : state.lang) },
      el("span", { class: "main", text: mainText }),
    );
    if (side === "staff") button.append(el("span", { class: "other", lang: langTag(state.lang), text: hit.text }));
    const item = el("li", { "data-phrase": hit.id }, button);
    button.addEventListener("click", () => {
      if (hit.slots.length) {
        const existing = item.querySelector("form.slots");
        if (!existing) item.append(slotForm(hit, (slots) => sayPhrase(hit, role, slots)));
        item.querySelector("form.slots input").focus();
      } else {
        sayPhrase(hit, role);
      }
    });
    return item;
  }

  let searchTimers = {};
  function wireSearch(side) {
    const input = $(`${side}-search`);
    const run = async () => {
      const q = input.value.trim();
      const topic = side === "staff" ? $("staff-topic").value : "";
      if (!q && !topic) {
        $(`${side}-hits`).replaceChildren();
        return;
      }
      const params = new URLSearchParams({ q, lang: state.lang, side });
      if (topic) params.set("topic", topic);
      try {
        const body = await api(`/api/interpreter/phrases?${params}`);
        $(`${side}-hits`).replaceChildren(...body.hits.map((hit) => hitItem(hit, side)));
      } catch (err) {
        note(side, side === "staff" ? err.message_ja : err.message);
      }
    };
    input.addEventListener("input", () => {
      clearTimeout(searchTimers[side]);
      searchTimers[side] = setTimeout(run, 200);
    });
    if (side === "staff") $("staff-topic").addEventListener("change", run);
  }

  // ---- free sentences: matching and agent assist -----------------------------------------------------------------

  function mtBlock(container, mt, onPick) {
    container.replaceChildren();
    if (!mt) return;
    if (mt.ok) {
      container.append(
        el("p", { class: "mt-label", text: "機械翻訳（Argos・品質チェック済み、誤りの可能性あり）" }),
        el("p", { class: "mt-text", lang: langTag(mt.target), text: mt.text }),
        el("button", { type: "button", class: "pick", text: "機械翻訳を使う", onclick: () => onPick(mt) }),
      );
    } else {
      const pair = `${NAMES_JA[mt.source] || mt.source}→${NAMES_JA[mt.target] || mt.target}`;
      const why = MT_REASONS_JA[mt.reason] || MT_REASONS_JA.guard;
      container.append(
        el("p", {
          class: "mt-unavailable",
          "data-reason": mt.reason,
          text: `${pair}の自由翻訳は利用できません（${why}）。近いフレーズ・質問から選ぶか、フレーズ集を使ってください。`,
        }),
      );
    }
  }

  function candidateItem({ kind, ja, text, score, scoreLabel, onPick }) {
    const button = el(
      "button",
      { type: "button", class: "pick" },
      el("span", { class: "kind", text: kind }),
      el("span", { class: "main", lang: "ja", text: ja }),
      el("span", { class: "other", lang: langTag(state.lang), text }),
      el("span", { class: "confidence", text: `${scoreLabel} ${score}` }),
    );
    button.addEventListener("click", onPick);
    return el("li", {}, button);
  }

  function heardConfidence(turn) {
    // Whisper's mean token probability; below one half the sentence is likely misheard: say so plainly.
    if (typeof turn.confidence !== "number") return "";
    const low = turn.confidence < 0.5 ? "・低い：本人に確認してください" : "";
    return `・確からしさ ${percent(turn.confidence)}${low}`;
  }

  function showResidentAssist(turn, body) {
    $("assist").hidden = false;
    $("assist-heard").replaceChildren(
      el("span", { text: turn.spoken ? `住民の発言（音声認識${heardConfidence(turn)}・誤りの可能性あり）：` : "住民の発言：" }),
      el("span", { lang: langTag(state.lang), class: "heard-text", text: turn.text }),
    );
    const pick = (ja, understood, source) => () => {
      turn.ja = ja;
      turn.understood = understood;
      turn.source = source;
      state.pendingResident = null;
      note("resident", "");
      render();
    };
    const items = [
      ...body.phrases.map((p) =>
        candidateItem({
          kind: "フレーズ", ja: p.ja, text: p.text, score: phraseScore(p), scoreLabel: "類似度",
          onPick: pick(p.ja, p.text, "phrasebook"),
        }),
      ),
      ...body.questions.map((q) =>
        candidateItem({
          kind: "質問（知識ベース）", ja: q.ja, text: q.text, score: percent(q.score), scoreLabel: "確からしさ",
          onPick: pick(q.ja, q.text, "knowledge_base"),
        }),
      ),
    ];
    if (!items.length) items.push(el("li", { class: "empty", text: "近いフレーズ・質問は見つかりませんでした。" }));
    $("candidates").replaceChildren(...items);
    mtBlock($("mt"), body.mt, (mt) => pick(mt.text, "", "machine")());
    const answers = body.answers.map((a) =>
      el(
        "li",
        { class: "answer", "data-answer": `${a.domain}:${a.id}` },
        el("p", { class: "main", lang: "ja", text: a.ja }),
        el("p", { class: "other", lang: langTag(state.lang), text: a.text }),
        el("p", {
          class: "meta",
          text: `${a.kind === "garbage_item" ? "ごみの品目" : a.domain}・確からしさ ${percent(a.score)}${a.curated ? "" : "・この言語の訳はありません（英語または日本語で表示）"}${a.certainty === "uncertain" ? "・要確認" : ""}`,
        }),
        el("button", {
          type: "button",
          class: "send-answer primary",
          text: "この回答を送る",
          onclick: () => {
            addTurn({ role: "staff", ja: a.ja, text: a.text, source: "knowledge_base" });
          },
        }),
      ),
    );
    if (!answers.length) answers.push(el("li", { class: "empty", text: "知識ベースに近い回答はありません。" }));
    $("answers").replaceChildren(...answers);
  }

  async function assist(text, role, { fromPhrase = false, turn = null } = {}) {
    try {
      const body = await api("/api/interpreter/understand", { json: { text, lang: state.lang, role } });
      if (role === "resident") {
        if (fromPhrase) {
          // A phrase the resident picked is already curated: only the agent-assist answers are news for staff.
          body.phrases = [];
          body.questions = [];
          body.mt = null;
        }
        showResidentAssist(turn || state.turns[state.turns.length - 1], body);
      } else {
        showStaffDraft(text, body);
      }
    } catch (err) {
      note("staff", err.message_ja || "照合できませんでした。フレーズ集から選んでください。");
    }
  }

  async function residentSays(text, spoken, confidence = null) {
    const turn = addTurn({ role: "resident", ja: "", text, source: "none", spoken, confidence });
    state.pendingResident = turn;
    const mtOk = state.config.languages.find((l) => l.code === state.lang)?.machine_translation;
    note("resident", mtOk ? state.ui.waiting : `${state.ui.waiting} ${state.ui.no_free_translation}`);
    await assist(text, "resident", { turn });
  }

  function showStaffDraft(text, body) {
    $("staff-draft").hidden = false;
    const items = body.phrases.map((p) =>
      candidateItem({
        kind: "フレーズ", ja: p.ja, text: p.text, score: phraseScore(p), scoreLabel: "類似度",
        onPick: () => {
          if (p.slots.length) {
            sayPhraseWithSlots(p);
          } else {
            sayPhrase(p, "staff");
          }
          $("staff-draft").hidden = true;
        },
      }),
    );
    if (!items.length) items.push(el("li", { class: "empty", text: "近いフレーズは見つかりませんでした。フレーズ集を検索してください。" }));
    $("draft-candidates").replaceChildren(...items);
    mtBlock($("draft-mt"), body.mt, (mt) => {
      addTurn({ role: "staff", ja: text, text: mt.text, source: "machine" });
      $("staff-draft").hidden = true;
    });
  }

  function sayPhraseWithSlots(p) {
    $("staff-search").value = p.ja;
    $("staff-hits").replaceChildren(hitItem({ ...p, values: {} }, "staff"));
    $("staff-hits").querySelector("button.hit").click();
  }

  // ---- speech ----------------------------------------------------------------------------------------------------

  function browserVoice(lang) {
    if (!("speechSynthesis" in window)) return null;
    const base = lang === "ja-easy" ? "ja" : lang;
    return window.speechSynthesis.getVoices().find((v) => (v.lang || "").toLowerCase().startsWith(base)) || null;
  }

  async function speak(text, lang) {
    const side = lang === STAFF_LANG ? "staff" : "resident";
    const voice = browserVoice(lang);
    if (voice) {
      const utterance = new SpeechSynthesisUtterance(text);
      utterance.voice = voice;
      utterance.lang = voice.lang;
      window.speechSynthesis.speak(utterance);
      return;
    }
    const server = state.voices && state.voices.voices && state.voices.voices[lang];
    if (!server || !server.available) {
      const reason = server && (side === "staff" ? server.reason_ja : server.reason);
      note(side, reason || (side === "staff" ? "この言語の音声はありません。" : state.ui.no_voice));
      return;
    }
    try {
      const res = await fetch("/api/speech/say", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ text, lang }),
      });
      if (!res.ok) {
        const error = ((await res.json().catch(() => null)) || {}).error || {};
        note(side, side === "staff" ? error.message_ja : error.message);
        return;
      }
      const data = await res.arrayBuffer();
      document.body.dataset.lastSpoken = `${lang}:${data.byteLength}`;
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      state.audioCtx = state.audioCtx || new Ctx();
      const buffer = await state.audioCtx.decodeAudioData(data);
      const src = state.audioCtx.createBufferSource();
      src.buffer = buffer;
      src.connect(state.audioCtx.destination);
      src.start();
    } catch (err) {
      note(side, side === "staff" ? "音声を再生できませんでした。" : state.ui.no_voice);
    }
  }

  function canRecord() {
    return !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.MediaRecorder);
  }

  function wireMic(side) {
    const button = $(`${side}-mic`);
    let recorder = null;
    let chunks = [];
    let timer = null;
    const labels = () =>
      side === "staff" ? { speak: "話す", stop: "止める" } : { speak: state.ui.speak, stop: state.ui.stop };
    const unavailable = () => {
      const recognition = state.voices && state.voices.recognition;
      if (!canRecord()) return side === "staff" ? "この端末では音声入力を使えません。" : state.ui.no_microphone;
      if (!recognition || !recognition.available) {
        return side === "staff"
          ? (recognition && recognition.reason_ja) || "音声認識は利用できません。"
          : (recognition && recognition.reason) || state.ui.no_microphone;
      }
      return null;
    };
    button.addEventListener("click", async () => {
      if (recorder && recorder.state === "recording") {
        recorder.stop();
        return;
      }
      const reason = unavailable();
      if (reason) {
        note(side, reason);
        return;
      }
      let stream;
      try {
        // Whisper copes with room noise; the browser's own noise suppression and gain control distort speech
        // (measured: a recorded Vietnamese sentence came back as other words with them on).
        stream = await navigator.mediaDevices.getUserMedia({
          audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: 1 },
        });
      } catch (err) {
        note(side, side === "staff" ? "マイクを使えませんでした。" : state.ui.no_microphone);
        return;
      }
      chunks = [];
      recorder = new MediaRecorder(stream);
      recorder.addEventListener("dataavailable", (event) => {
        if (event.data && event.data.size) chunks.push(event.data);
      });
      recorder.addEventListener("stop", async () => {
        clearTimeout(timer);
        stream.getTracks().forEach((track) => track.stop());
        button.textContent = labels().speak;
        button.setAttribute("aria-pressed", "false");
        const blob = new Blob(chunks, { type: recorder.mimeType || "audio/webm" });
        await recognise(blob, side);
      });
      recorder.start();
      button.textContent = labels().stop;
      button.setAttribute("aria-pressed", "true");
      const maxSeconds = (state.voices && state.voices.recognition && state.voices.recognition.max_seconds) || 30;
      timer = setTimeout(() => recorder && recorder.state === "recording" && recorder.stop(), maxSeconds * 1000);
    });
  }

  async function recognise(blob, side) {
    const lang = side === "staff" ? STAFF_LANG : state.lang;
    const button = $(`${side}-mic`);
    button.disabled = true;
    note(side, side === "staff" ? "認識しています…" : state.ui.recognising);
    try {
      const res = await fetch(`/api/speech/recognize?lang=${encodeURIComponent(lang)}`, {
        method: "POST",
        headers: { "Content-Type": blob.type || "audio/webm" },
        body: blob,
      });
      const body = await res.json().catch(() => null);
      if (!res.ok) {
        const error = (body && body.error) || {};
        note(side, side === "staff" ? error.message_ja : error.message);
        return;
      }
      if (!body.text) {
        note(side, side === "staff" ? "聞き取れませんでした。もう一度話してください。" : state.ui.not_heard);
        return;
      }
      note(side, "");
      if (side === "staff") {
        $("staff-text").value = body.text;
        await assist(body.text, "staff");
      } else {
        await residentSays(body.text, true, body.confidence);
      }
    } catch (err) {
      note(side, side === "staff" ? "音声認識に失敗しました。" : state.ui.not_heard);
    } finally {
      button.disabled = false;
    }
  }

  // ---- page setup ------------------------------------------------------------------------------------------------

  function applyWords() {
    const side = $("resident-side");
    side.lang = langTag(state.lang);
    for (const node of side.querySelectorAll("[data-ui]")) node.textContent = state.ui[node.dataset.ui] || "";
    for (const node of side.querySelectorAll("[data-ui-placeholder]")) {
      node.placeholder = state.ui[node.dataset.uiPlaceholder] || "";
    }
    const topic = $("staff-topic");
    const chosen = topic.value;
    topic.replaceChildren(
      el("option", { value: "", text: "すべてのトピック" }),
      ...state.config.topics.map((t) => el("option", { value: t.id, text: t.ja })),
    );
    topic.value = chosen;
  }

  async function loadConfig() {
    state.config = await api(`/api/interpreter/config?lang=${encodeURIComponent(state.lang)}`);
    state.ui = state.config.ui;
    applyWords();
    document.body.dataset.ready = state.lang;
  }

  async function loadVoices() {
    try {
      const res = await fetch("/api/speech/voices");
      state.voices = res.ok ? await res.json() : null;
    } catch (err) {
      state.voices = null;
    }
    for (const side of ["staff", "resident"]) {
      if (!canRecord()) $(`${side}-mic`).hidden = true;
    }
    if (!canRecord()) note("staff", "この端末では音声入力を使えません（マイク録音に未対応）。");
  }

  function newConversation() {
    state.turns = [];
    state.pendingResident = null;
    for (const id of ["staff-hits", "resident-hits", "candidates", "answers", "draft-candidates"]) $(id).replaceChildren();
    for (const id of ["mt", "draft-mt"]) $(id).replaceChildren();
    $("assist").hidden = true;
    $("staff-draft").hidden = true;
    for (const id of ["staff-text", "resident-text", "staff-search", "resident-search"]) $(id).value = "";
    $("save-result").textContent = "";
    note("staff", "");
    note("resident", "");
    render();
  }

  function wire() {
    $("resident-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = $("resident-text").value.trim();
      if (!text) return;
      $("resident-text").value = "";
      residentSays(text, false);
    });
    $("staff-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = $("staff-text").value.trim();
      if (!text) return;
      assist(text, "staff");
    });
    for (const id of ["resident-text", "staff-text"]) {
      $(id).addEventListener("keydown", (event) => {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          $(id).form.requestSubmit();
        }
      });
    }
    wireSearch("staff");
    wireSearch("resident");
    wireMic("staff");
    wireMic("resident");
    $("flip").addEventListener("click", () => {
      const flat = document.body.classList.toggle("flat");
      $("flip").setAttribute("aria-pressed", String(flat));
    });
    $("print").addEventListener("click", () => {
      renderTranscript();
      window.print();
    });
    $("new-conversation").addEventListener("click", newConversation);
    $("resident-lang").addEventListener("change", async () => {
      state.lang = $("resident-lang").value;
      newConversation();
      await loadConfig();
      $("status").textContent = `住民の言語を${NAMES_JA[state.lang] || state.lang}にしました。新しい会話を始めます。`;
    });
    $("save-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const result = $("save-result");
      if (!state.turns.length) {
        result.textContent = "保存する発言がありません。";
        return;
      }
      try {
        const body = await api("/api/interpreter/transcripts", {
          json: {
            lang: state.lang,
            turns: state.turns.map((t) => ({ role: t.role, ja: t.ja, text: t.text, source: t.source })),
          },
          headers: { Authorization: `Bearer ${$("staff-token").value}` },
        });
        const until = new Date(body.expires_at).toLocaleDateString("ja-JP");
        result.textContent = `保存しました：${body.reference}（${until}に自動で削除されます）`;
      } catch (err) {
        result.textContent = err.message_ja || "保存できませんでした。";
      }
    });
  }

  async function start() {
    state.lang = $("resident-lang").value;
    wire();
    try {
      await loadConfig();
    } catch (err) {
      $("status").textContent = err.message_ja || "設定を読み込めませんでした。";
    }
    await loadVoices();
    render();
  }

  start();
})();
