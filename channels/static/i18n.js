// The web chat's own words come from the server: GET /api/ui/{lang} serves translations/ui/<lang>.yml, the catalogue
// LINE uses too (keys common.* and web.*; {ai}, {phone} and {max} are filled by chat.js). Answers come from the bot.
// Only Japanese is built in, so the page keeps working when that request fails.
"use strict";

window.CHIBA_I18N = (() => {
  // The common.* and web.* strings of translations/ui/ja.yml (tests/translations/test_ui.py keeps them equal).
  const FALLBACK = Object.freeze({
    "common.unavailable": "申し訳ありません。ただいまアシスタントをご利用いただけません。しばらくしてから、もう一度お試しください。",
    "web.title": "千葉市AIアシスタント",
    "web.subtitle": "ごみの分け方・出し方などの質問にお答えします",
    "web.notice": "このチャットは{ai}が自動で回答します。回答がまちがっていることもあります。ごみについてのご相談は、家庭ごみ相談ダイヤル{phone}（月曜〜土曜 9時〜17時）へお電話ください。",
    "web.notice_ai": "AIアシスタント",
    "web.language_label": "回答の言語",
    "web.language_auto": "自動（auto）",
    "web.log_heading": "会話",
    "web.greeting": "こんにちは。千葉市AIアシスタントです。「スプレー缶は何ごみ？」「粗大ごみの出し方は？」のように、お気軽に質問してください。",
    "web.typing": "回答を作成しています…",
    "web.busy": "回答を作成しています",
    "web.input_label": "質問を入力してください",
    "web.placeholder": "例：スプレー缶は何ごみ？",
    "web.send": "送信",
    "web.hint": "Enterキーで送信、Shift+Enterで改行します（{max}文字まで）。",
    "web.you": "あなた:",
    "web.assistant": "アシスタント:",
    "web.error_label": "エラー:",
    "web.choices": "選択肢",
    "web.sources": "出典:",
    "web.new_tab": "（新しいタブで開きます）",
    "web.helpline": "お急ぎの場合は、家庭ごみ相談ダイヤル 043-204-5380 へお電話ください。",
    "web.error_generic": "申し訳ありません。ただいま回答できません。しばらくしてから、もう一度お試しください。",
    "web.error_timeout": "申し訳ありません。回答に時間がかかりすぎました。もう一度お試しください。",
    "web.error_too_long": "メッセージが長すぎます。{max}文字以内にしてください。",
    "web.error_empty": "質問を入力してください。"
  });

  const requests = new Map(); // code → Promise of its strings, or of null when the request failed

  // The strings of one language, or null (then the caller shows FALLBACK). A failed request is tried again next time.
  function load(code) {
    if (!requests.has(code)) {
      const request = fetch("/api/ui/" + encodeURIComponent(code), { headers: { Accept: "application/json" } })
        .then((response) => (response.ok ? response.json() : null))
        .then((strings) => (strings && typeof strings === "object" ? strings : null))
        .catch(() => null)
        .then((strings) => {
          if (strings === null) requests.delete(code);
          return strings;
        });
      requests.set(code, request);
    }
    return requests.get(code);
  }

  return Object.freeze({ fallback: FALLBACK, load });
})();
