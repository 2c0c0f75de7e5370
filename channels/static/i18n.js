// The web chat's own words come from the server: GET /api/ui/{lang} serves translations/ui/<lang>.yml, the catalogue
// LINE uses too (keys common.* and web.*; {ai}, {phone} and {max} are filled by chat.js). Answers come from the bot.
// Only Japanese is built in, so the page keeps working when that request fails.
"use strict";

window.CHIBA_I18N = (() => {
  // The common.* and web.* strings of translations/ui/ja.yml (tests/translations/test_ui.py keeps them equal).
  const FALLBACK = Object.freeze({
    "common.unavailable": "申し訳ありません。ただいまアシスタントをご利用いただけません。しばらくしてから、もう一度お試しください。",
    "common.slow_down": "メッセージが続けて届いています。少し待ってから、もう一度送ってください。",
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

  // The words of the page's own newer controls and its starter questions, in every UI language (they are the page's,
  // not LINE's, so they live here rather than in translations/ui/). chat.js reads them after the server's strings.
  // A starter shows `starter.<id>` and sends `starter.<id>.ask`, a training sentence of the matching intent in that
  // language (nlu_data/<lang>/), so the assistant understands it like typed text. Official Japanese terms that
  // residents match on signs and forms stay in parentheses.
  const STARTERS = Object.freeze(["sorting", "collection", "bulky", "library", "foreign", "smartphone", "benefits"]);
  const PAGE = Object.freeze({
    ja: {
      "page.new_conversation": "新しい会話",
      "page.new_conversation_done": "新しい会話を始めました。",
      "page.retry": "もう一度送る",
      "page.queued": "送信待ち（前の回答のあとに送ります）",
      "page.counter": "{count} / {max}文字",
      "page.starters": "よくある質問",
      "starter.sorting": "ごみの分け方",
      "starter.sorting.ask": "ごみの分け方を教えてください",
      "starter.collection": "ごみの収集日",
      "starter.collection.ask": "ごみの日を教えて",
      "starter.bulky": "粗大ごみ",
      "starter.bulky.ask": "粗大ごみの出し方を教えてください",
      "starter.library": "図書館",
      "starter.library.ask": "図書館の利用カードを作りたいです",
      "starter.foreign": "外国人住民の手続き",
      "starter.foreign.ask": "海外から引っ越してきました、最初に何の手続きをすればいいですか",
      "starter.smartphone": "スマホ教室",
      "starter.smartphone.ask": "スマホ教室っていつやってますか",
      "starter.benefits": "手当・支援制度",
      "starter.benefits.ask": "使える制度を知りたい"
    },
    "ja-easy": {
      "page.new_conversation": "あたらしい かいわ",
      "page.new_conversation_done": "あたらしい かいわを はじめました。",
      "page.retry": "もういちど おくる",
      "page.queued": "まって います（まえの こたえの あとで おくります）",
      "page.counter": "{count} / {max}もじ",
      "page.starters": "よく ある しつもん",
      "starter.sorting": "ごみの わけかた",
      "starter.sorting.ask": "ごみの分け方を教えてください",
      "starter.collection": "ごみを だす ひ",
      "starter.collection.ask": "ごみのひおしえて",
      "starter.bulky": "粗大（そだい）ごみ",
      "starter.bulky.ask": "粗大ごみの出し方を教えてください",
      "starter.library": "としょかん",
      "starter.library.ask": "図書館の利用カードを作りたいです",
      "starter.foreign": "外国人（がいこくじん）の てつづき",
      "starter.foreign.ask": "海外から引っ越してきました、最初に何の手続きをすればいいですか",
      "starter.smartphone": "スマホ きょうしつ",
      "starter.smartphone.ask": "すまほこうざ いつ",
      "starter.benefits": "てあて・しえん",
      "starter.benefits.ask": "つかえるせいど しりたい"
    },
    en: {
      "page.new_conversation": "New conversation",
      "page.new_conversation_done": "A new conversation has started.",
      "page.retry": "Try again",
      "page.queued": "Waiting (sent after the previous answer)",
      "page.counter": "{count} / {max} characters",
      "page.starters": "Common questions",
      "starter.sorting": "Sorting garbage",
      "starter.sorting.ask": "What are the basic sorting rules in Chiba?",
      "starter.collection": "Collection days",
      "starter.collection.ask": "What day is garbage day?",
      "starter.bulky": "Bulky waste (粗大ごみ)",
      "starter.bulky.ask": "How do I apply for bulky waste collection?",
      "starter.library": "Libraries",
      "starter.library.ask": "What do I need to bring to register for a library card?",
      "starter.foreign": "Procedures for foreign residents",
      "starter.foreign.ask": "I arrived in Japan last week, what procedures do I have to do first?",
      "starter.smartphone": "Smartphone classes",
      "starter.smartphone.ask": "When are the smartphone classes?",
      "starter.benefits": "Benefits and support",
      "starter.benefits.ask": "What benefits can I get?"
    },
    zh: {
      "page.new_conversation": "新对话",
      "page.new_conversation_done": "已开始新的对话。",
      "page.retry": "重新发送",
      "page.queued": "等待发送（上一个回答之后发送）",
      "page.counter": "{count} / {max} 字",
      "page.starters": "常见问题",
      "starter.sorting": "垃圾分类",
      "starter.sorting.ask": "千叶市垃圾分类的基本规则",
      "starter.collection": "垃圾收集日",
      "starter.collection.ask": "垃圾日是哪天",
      "starter.bulky": "大件垃圾（粗大ごみ）",
      "starter.bulky.ask": "大件垃圾怎么申请？",
      "starter.library": "图书馆",
      "starter.library.ask": "怎么办图书馆借书卡？",
      "starter.foreign": "外国居民的手续",
      "starter.foreign.ask": "从国外搬来千叶要办什么手续",
      "starter.smartphone": "智能手机课程",
      "starter.smartphone.ask": "有没有智能手机教室",
      "starter.benefits": "补贴与支援制度",
      "starter.benefits.ask": "我能用哪些福利制度"
    },
    ko: {
      "page.new_conversation": "새 대화",
      "page.new_conversation_done": "새 대화를 시작했습니다.",
      "page.retry": "다시 보내기",
      "page.queued": "전송 대기 중(이전 답변 후에 보냅니다)",
      "page.counter": "{count} / {max}자",
      "page.starters": "자주 묻는 질문",
      "starter.sorting": "쓰레기 분리배출",
      "starter.sorting.ask": "치바시 분리수거 기본 규칙 알려줘",
      "starter.collection": "쓰레기 수거일",
      "starter.collection.ask": "쓰레기 버리는 날이 언제예요?",
      "starter.bulky": "대형 쓰레기(粗大ごみ)",
      "starter.bulky.ask": "대형 쓰레기 신청은 어떻게 해요?",
      "starter.library": "도서관",
      "starter.library.ask": "도서관 카드 만들고 싶어요",
      "starter.foreign": "외국인 주민 수속",
      "starter.foreign.ask": "해외에서 이사 왔는데 무슨 신고 해야 돼요?",
      "starter.smartphone": "스마트폰 교실",
      "starter.smartphone.ask": "스마트폰 교실 언제 있어요?",
      "starter.benefits": "수당·지원 제도",
      "starter.benefits.ask": "내가 받을 수 있는 제도 알고 싶어요"
    },
    vi: {
      "page.new_conversation": "Cuộc trò chuyện mới",
      "page.new_conversation_done": "Đã bắt đầu cuộc trò chuyện mới.",
      "page.retry": "Gửi lại",
      "page.queued": "Đang chờ (gửi sau câu trả lời trước)",
      "page.counter": "{count} / {max} ký tự",
      "page.starters": "Câu hỏi thường gặp",
      "starter.sorting": "Phân loại rác",
      "starter.sorting.ask": "Quy tắc phân loại rác cơ bản ở Chiba",
      "starter.collection": "Ngày thu gom rác",
      "starter.collection.ask": "Ngày đổ rác là khi nào?",
      "starter.bulky": "Rác cồng kềnh (粗大ごみ)",
      "starter.bulky.ask": "Đăng ký vứt rác cỡ lớn thế nào?",
      "starter.library": "Thư viện",
      "starter.library.ask": "Làm thẻ thư viện như thế nào?",
      "starter.foreign": "Thủ tục cho cư dân nước ngoài",
      "starter.foreign.ask": "Mới chuyển từ nước ngoài đến Chiba cần làm thủ tục gì?",
      "starter.smartphone": "Lớp học điện thoại thông minh",
      "starter.smartphone.ask": "Có lớp học điện thoại thông minh không?",
      "starter.benefits": "Trợ cấp và hỗ trợ",
      "starter.benefits.ask": "Tôi có đủ điều kiện nhận hỗ trợ gì không?"
    },
    tl: {
      "page.new_conversation": "Bagong usapan",
      "page.new_conversation_done": "Nagsimula na ang bagong usapan.",
      "page.retry": "Subukang muli",
      "page.queued": "Naghihintay (ipapadala pagkatapos ng naunang sagot)",
      "page.counter": "{count} / {max} na character",
      "page.starters": "Mga karaniwang tanong",
      "starter.sorting": "Paghihiwalay ng basura",
      "starter.sorting.ask": "Ano ang basic na patakaran ng paghihiwalay ng basura sa Chiba?",
      "starter.collection": "Araw ng koleksyon ng basura",
      "starter.collection.ask": "Anong araw ang araw ng basura?",
      "starter.bulky": "Malalaking basura (粗大ごみ)",
      "starter.bulky.ask": "Paano mag-apply para sa bulky waste?",
      "starter.library": "Aklatan",
      "starter.library.ask": "Paano kumuha ng library card?",
      "starter.foreign": "Mga proseso para sa dayuhang residente",
      "starter.foreign.ask": "Bagong dating ako galing abroad, anong procedure sa ward office?",
      "starter.smartphone": "Klase sa smartphone",
      "starter.smartphone.ask": "May smartphone class ba sa Chiba City?",
      "starter.benefits": "Mga benepisyo at tulong",
      "starter.benefits.ask": "Anong benefits ang pwede sa akin?"
    },
    ne: {
      "page.new_conversation": "नयाँ कुराकानी",
      "page.new_conversation_done": "नयाँ कुराकानी सुरु भयो।",
      "page.retry": "फेरि पठाउनुहोस्",
      "page.queued": "पर्खँदै (अघिल्लो जवाफपछि पठाइन्छ)",
      "page.counter": "{count} / {max} अक्षर",
      "page.starters": "धेरै सोधिने प्रश्नहरू",
      "starter.sorting": "फोहोर छुट्याउने तरिका",
      "starter.sorting.ask": "चिबामा फोहोर छुट्याउने आधारभूत नियम के हो?",
      "starter.collection": "फोहोर उठाउने दिन",
      "starter.collection.ask": "फोहोर फाल्ने दिन कहिले हो?",
      "starter.bulky": "ठूलो फोहोर (粗大ごみ)",
      "starter.bulky.ask": "ठूलो फोहोरको लागि कसरी आवेदन दिने?",
      "starter.library": "पुस्तकालय",
      "starter.library.ask": "पुस्तकालय कार्ड कसरी बनाउने?",
      "starter.foreign": "विदेशी बासिन्दाका प्रक्रिया",
      "starter.foreign.ask": "विदेशबाट चिबा सरेँ, कुन कुन प्रक्रिया गर्नुपर्छ?",
      "starter.smartphone": "स्मार्टफोन कक्षा",
      "starter.smartphone.ask": "स्मार्टफोन कक्षा कहिले हुन्छ?",
      "starter.benefits": "भत्ता र सहायता",
      "starter.benefits.ask": "मैले कुन कुन सुविधा पाउन सक्छु?"
    },
    pt: {
      "page.new_conversation": "Nova conversa",
      "page.new_conversation_done": "Uma nova conversa foi iniciada.",
      "page.retry": "Tentar de novo",
      "page.queued": "Aguardando (enviada após a resposta anterior)",
      "page.counter": "{count} / {max} caracteres",
      "page.starters": "Perguntas frequentes",
      "starter.sorting": "Separação do lixo",
      "starter.sorting.ask": "Quais são as regras básicas de separação em Chiba?",
      "starter.collection": "Dias de coleta",
      "starter.collection.ask": "Qual é o dia do lixo?",
      "starter.bulky": "Lixo volumoso (粗大ごみ)",
      "starter.bulky.ask": "Como solicito a coleta de lixo de grande porte?",
      "starter.library": "Bibliotecas",
      "starter.library.ask": "Como faço o cartão da biblioteca?",
      "starter.foreign": "Trâmites para estrangeiros",
      "starter.foreign.ask": "Quantos dias tenho para registrar meu endereço depois de chegar ao Japão?",
      "starter.smartphone": "Aulas de smartphone",
      "starter.smartphone.ask": "Quando tem aula de smartphone?",
      "starter.benefits": "Auxílios e apoios",
      "starter.benefits.ask": "Quais benefícios eu posso receber?"
    },
    es: {
      "page.new_conversation": "Nueva conversación",
      "page.new_conversation_done": "Se ha iniciado una nueva conversación.",
      "page.retry": "Reintentar",
      "page.queued": "En espera (se enviará después de la respuesta anterior)",
      "page.counter": "{count} / {max} caracteres",
      "page.starters": "Preguntas frecuentes",
      "starter.sorting": "Separación de la basura",
      "starter.sorting.ask": "¿Cuáles son las reglas básicas de separación en Chiba?",
      "starter.collection": "Días de recogida",
      "starter.collection.ask": "¿Qué día es el día de la basura?",
      "starter.bulky": "Basura voluminosa (粗大ごみ)",
      "starter.bulky.ask": "¿Cómo solicito la recogida de basura voluminosa?",
      "starter.library": "Bibliotecas",
      "starter.library.ask": "¿Cómo saco la tarjeta de la biblioteca?",
      "starter.foreign": "Trámites para residentes extranjeros",
      "starter.foreign.ask": "¿Cuántos días tengo para registrar mi domicilio al llegar a Japón?",
      "starter.smartphone": "Clases de smartphone",
      "starter.smartphone.ask": "¿Cuándo hay clases de teléfono inteligente?",
      "starter.benefits": "Ayudas y apoyos",
      "starter.benefits.ask": "¿Qué ayudas puedo recibir?"
    },
    id: {
      "page.new_conversation": "Percakapan baru",
      "page.new_conversation_done": "Percakapan baru telah dimulai.",
      "page.retry": "Kirim ulang",
      "page.queued": "Menunggu (dikirim setelah jawaban sebelumnya)",
      "page.counter": "{count} / {max} karakter",
      "page.starters": "Pertanyaan umum",
      "starter.sorting": "Memilah sampah",
      "starter.sorting.ask": "Aturan dasar memilah sampah di Chiba apa saja?",
      "starter.collection": "Hari pengambilan sampah",
      "starter.collection.ask": "Hari buang sampah kapan?",
      "starter.bulky": "Sampah besar (粗大ごみ)",
      "starter.bulky.ask": "Bagaimana cara mendaftar pengambilan sampah besar?",
      "starter.library": "Perpustakaan",
      "starter.library.ask": "Bagaimana cara membuat kartu perpustakaan?",
      "starter.foreign": "Prosedur untuk warga asing",
      "starter.foreign.ask": "Berapa hari batas lapor alamat setelah tiba di Jepang?",
      "starter.smartphone": "Kelas smartphone",
      "starter.smartphone.ask": "Kapan ada kelas smartphone?",
      "starter.benefits": "Tunjangan dan bantuan",
      "starter.benefits.ask": "Bantuan apa saja yang bisa saya dapat?"
    }
  });

  // The page's own words in `code`: its own, gaps filled from English, then Japanese (like translations/ui.py).
  function page(code) {
    return Object.freeze({ ...PAGE.ja, ...PAGE.en, ...(PAGE[code] || {}) });
  }

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

  return Object.freeze({ fallback: FALLBACK, load, page, starters: STARTERS });
})();
