"""The LINE channel's own short UI strings, per reply language (answers themselves come from Rasa).

A missing language falls back to English, then Japanese; `ja-easy` is やさしい日本語.
"""

from __future__ import annotations

# (code, label on the language menu); LINE quick-reply labels hold at most 20 characters.
LANGUAGES: tuple[tuple[str, str], ...] = (
    ("ja", "日本語"),
    ("ja-easy", "やさしい日本語"),
    ("en", "English"),
    ("zh", "中文（简体）"),
    ("ko", "한국어"),
    ("vi", "Tiếng Việt"),
    ("tl", "Tagalog"),
    ("ne", "नेपाली"),
    ("pt", "Português"),
    ("es", "Español"),
    ("id", "Bahasa Indonesia"),
)
LANG_CODES = frozenset(code for code, _ in LANGUAGES)

_TEXTS: dict[str, dict[str, str]] = {
    "non_text": {
        "ja": "画像やスタンプは読み取れません。ごみの品目名を文字で送ってください（例：スプレー缶）。",
        "ja-easy": "しゃしんや スタンプは よめません。ごみの なまえを もじで おくって ください（れい：スプレーかん）。",
        "en": "I can't read pictures or stickers. Please send the item name as text (e.g. スプレー缶, spray can).",
        "zh": "无法识别图片或贴图。请用文字发送物品名称（例如：スプレー缶 喷雾罐）。",
        "ko": "사진이나 스티커는 읽을 수 없습니다. 물건 이름을 글자로 보내 주세요 (예: スプレー缶 스프레이 캔).",
        "vi": "Tôi không đọc được hình ảnh hoặc nhãn dán. "
        "Vui lòng gửi tên đồ vật bằng chữ (ví dụ: スプレー缶 bình xịt).",
        "tl": "Hindi ko mabasa ang larawan o sticker. Pakipadala ang pangalan ng bagay bilang text (hal. スプレー缶).",
        "ne": "म तस्बिर वा स्टिकर पढ्न सक्दिन। कृपया सामानको नाम अक्षरमा पठाउनुहोस् (जस्तै: スプレー缶)।",
        "pt": "Não consigo ler imagens nem figurinhas. Envie o nome do item em texto (ex.: スプレー缶, lata de spray).",
        "es": "No puedo leer imágenes ni stickers. "
        "Envíe el nombre del objeto como texto (p. ej.: スプレー缶, aerosol).",
        "id": "Saya tidak dapat membaca gambar atau stiker. Kirim nama barang sebagai teks (contoh: スプレー缶).",
    },
    "choose_language": {
        "ja": "言語を選んでください。/ Please choose your language.",
        "ja-easy": "ことばを えらんで ください。/ Please choose your language.",
        "en": "Please choose your language.",
        "zh": "请选择语言。/ Please choose your language.",
        "ko": "언어를 선택해 주세요. / Please choose your language.",
        "vi": "Vui lòng chọn ngôn ngữ. / Please choose your language.",
        "tl": "Pumili ng wika. / Please choose your language.",
        "ne": "कृपया भाषा छान्नुहोस्। / Please choose your language.",
        "pt": "Escolha o idioma. / Please choose your language.",
        "es": "Elija su idioma. / Please choose your language.",
        "id": "Silakan pilih bahasa. / Please choose your language.",
    },
    "language_set": {
        "ja": "これから日本語でお答えします。",
        "ja-easy": "これから やさしい にほんごで こたえます。",
        "en": "I will answer in English from now on.",
        "zh": "今后我将用中文回答。",
        "ko": "이제부터 한국어로 답변하겠습니다.",
        "vi": "Từ bây giờ tôi sẽ trả lời bằng tiếng Việt.",
        "tl": "Mula ngayon, sasagot ako sa Tagalog.",
        "ne": "अबदेखि म नेपालीमा जवाफ दिनेछु।",
        "pt": "A partir de agora vou responder em português.",
        "es": "A partir de ahora responderé en español.",
        "id": "Mulai sekarang saya akan menjawab dalam bahasa Indonesia.",
    },
    "welcome": {
        "ja": "友だち追加ありがとうございます。千葉市AIアシスタントです。ごみの品目名や町名を送ると、"
        "分別の仕方や収集日をお知らせします（例：スプレー缶、中央区青葉町）。",
        "ja-easy": "ともだち ついか ありがとう ございます。ちばしの AIアシスタント です。ごみの なまえを おくると、"
        "だしかたを おしえます。",
        "en": "Thank you for adding the Chiba City Assistant. Send an item name or your town to learn how to sort "
        "garbage and when it is collected (e.g. スプレー缶, 中央区青葉町).",
        "zh": "感谢添加千叶市AI助手。发送物品名称或町名，"
        "即可查询垃圾分类方法和收集日（例如：スプレー缶、中央区青葉町）。",
        "ko": "지바시 AI 어시스턴트를 추가해 주셔서 감사합니다. 물건 이름이나 동네 이름을 보내면 쓰레기 분리 방법과 "
        "수거일을 알려 드립니다 (예: スプレー缶, 中央区青葉町).",
        "vi": "Cảm ơn bạn đã kết bạn với Trợ lý thành phố Chiba. Hãy gửi tên đồ vật hoặc tên khu phố để biết cách "
        "phân loại rác và ngày thu gom (ví dụ: スプレー缶, 中央区青葉町).",
        "tl": "Salamat sa pag-add sa Chiba City Assistant. Ipadala ang pangalan ng bagay o ng iyong bayan para malaman "
        "kung paano ihiwalay ang basura at kailan ito kinukuha (hal. スプレー缶, 中央区青葉町).",
        "ne": "चिबा सिटी सहायक थप्नुभएकोमा धन्यवाद। फोहोर छुट्याउने तरिका र संकलन दिन जान्न सामानको नाम वा "
        "आफ्नो टोलको नाम पठाउनुहोस् (जस्तै: スプレー缶, 中央区青葉町)।",
        "pt": "Obrigado por adicionar o Assistente da Cidade de Chiba. Envie o nome de um item ou do seu bairro para "
        "saber como separar o lixo e quando ele é coletado (ex.: スプレー缶, 中央区青葉町).",
        "es": "Gracias por agregar al Asistente de la Ciudad de Chiba. Envíe el nombre de un objeto o de su barrio "
        "para saber cómo separar la basura y cuándo se recoge (p. ej.: スプレー缶, 中央区青葉町).",
        "id": "Terima kasih telah menambahkan Asisten Kota Chiba. Kirim nama barang atau kelurahan Anda untuk "
        "mengetahui cara memilah sampah dan jadwal pengangkutannya (contoh: スプレー缶, 中央区青葉町).",
    },
    "unavailable": {
        "ja": "申し訳ありません。ただいまアシスタントをご利用いただけません。"
        "しばらくしてから、もう一度お試しください。",
        "ja-easy": "ごめんなさい。いまは つかえません。あとで もういちど ためして ください。",
        "en": "Sorry, the assistant is not available right now. Please try again in a little while.",
        "zh": "抱歉，助手暂时无法使用。请稍后再试。",
        "ko": "죄송합니다. 지금은 어시스턴트를 이용할 수 없습니다. 잠시 후 다시 시도해 주세요.",
        "vi": "Xin lỗi, trợ lý hiện không khả dụng. Vui lòng thử lại sau.",
        "tl": "Paumanhin, hindi available ang assistant ngayon. Pakisubukang muli mamaya.",
        "ne": "माफ गर्नुहोस्, सहायक अहिले उपलब्ध छैन। कृपया केही समयपछि फेरि प्रयास गर्नुहोस्।",
        "pt": "Desculpe, o assistente não está disponível agora. Tente novamente mais tarde.",
        "es": "Lo sentimos, el asistente no está disponible ahora. Inténtelo de nuevo más tarde.",
        "id": "Maaf, asisten sedang tidak tersedia. Silakan coba lagi nanti.",
    },
    # Labels on the garbage-item card.
    "card_how": {
        "ja": "出し方",
        "ja-easy": "だしかた",
        "en": "How to put it out",
        "zh": "投放方法",
        "ko": "배출 방법",
        "vi": "Cách bỏ rác",
        "tl": "Paano itapon",
        "ne": "फाल्ने तरिका",
        "pt": "Como descartar",
        "es": "Cómo sacarlo",
        "id": "Cara membuang",
    },
    "card_next": {
        "ja": "次の収集日",
        "ja-easy": "つぎに あつめる ひ",
        "en": "Next collection",
        "zh": "下次收集日",
        "ko": "다음 수거일",
        "vi": "Ngày thu gom tiếp theo",
        "tl": "Susunod na koleksyon",
        "ne": "अर्को संकलन दिन",
        "pt": "Próxima coleta",
        "es": "Próxima recogida",
        "id": "Pengangkutan berikutnya",
    },
    "card_source": {
        "ja": "市のページを見る",
        "ja-easy": "しの ページを みる",
        "en": "City page",
        "zh": "查看市政府网页",
        "ko": "시 홈페이지 보기",
        "vi": "Trang của thành phố",
        "tl": "Pahina ng lungsod",
        "ne": "नगरको पृष्ठ",
        "pt": "Página da prefeitura",
        "es": "Página de la ciudad",
        "id": "Halaman kota",
    },
}


def text(key: str, lang: str) -> str:
    table = _TEXTS[key]
    return table.get(lang) or table.get("en") or table["ja"]
