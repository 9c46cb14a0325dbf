"""Every per-domain word in one table: what an item of a domain is called, what one does with it,
the Korean for genre and category words, and which domain each bundled catalog belongs to.

A new domain is added here (and nowhere else): the CF line, the training rows and the query
understanding all read these tables.
"""

from __future__ import annotations

# domain -> (English noun, Korean noun)
NOUN = {
    "movies": ("movie", "영화"), "books": ("book", "책"), "anime": ("anime", "애니메이션"),
    "news": ("news story", "뉴스 기사"), "poi": ("place", "장소"), "e-commerce": ("product", "상품"),
    "games": ("game", "게임"),
}

# domain -> what people do with its items ("people who watched these also watched")
VERB_EN = {"movies": "watched", "games": "played", "books": "read", "news": "read", "anime": "watched"}

GLOSSARY = {
    # movie genres
    "action": "액션", "adventure": "모험", "animation": "애니메이션", "children": "어린이", "comedy": "코미디",
    "crime": "범죄", "documentary": "다큐멘터리", "drama": "드라마", "fantasy": "판타지", "film-noir": "필름 누아르",
    "horror": "공포", "imax": "아이맥스", "musical": "뮤지컬", "mystery": "미스터리", "romance": "로맨스",
    "sci-fi": "SF", "thriller": "스릴러", "war": "전쟁", "western": "서부극",
    # anime genres
    "shounen": "소년 만화", "shoujo": "소녀 만화", "seinen": "청년 만화", "josei": "여성향", "kids": "어린이",
    "school": "학원물", "slice of life": "일상물", "supernatural": "초자연", "mecha": "메카", "music": "음악",
    "historical": "역사", "magic": "마법", "sports": "스포츠", "super power": "초능력", "military": "군사",
    "parody": "패러디", "space": "우주", "demons": "악마", "martial arts": "무술", "dementia": "난해한 전개",
    "psychological": "심리극", "police": "경찰", "game": "게임", "samurai": "사무라이", "vampire": "뱀파이어",
    "cars": "자동차", "harem": "하렘",
    # game and book genres (the model-written ones of recchat/llm/genres.py among them)
    "shooter": "슈팅", "fighting": "격투", "puzzle": "퍼즐", "platformer": "플랫포머", "strategy": "전략",
    "simulation": "시뮬레이션", "party": "파티", "rpg": "RPG", "role-playing": "롤플레잉", "sandbox": "샌드박스",
    "stealth": "잠입", "rhythm": "리듬", "survival horror": "서바이벌 호러", "science fiction": "SF",
    "young adult": "청소년", "classics": "고전", "literary fiction": "순문학", "biography": "전기",
    "memoir": "회고록", "self-help": "자기계발", "nonfiction": "논픽션", "humor": "유머", "poetry": "시",
    "dystopian": "디스토피아", "historical fiction": "역사 소설", "philosophy": "철학", "religion": "종교",
    "business": "경영",
    # anime types
    "tv": "TV 시리즈", "ova": "OVA", "movie": "극장판", "special": "스페셜", "ona": "웹 애니메이션",
    # news (MIND categories)
    "news": "뉴스", "finance": "경제", "foodanddrink": "음식", "lifestyle": "라이프스타일", "weather": "날씨",
    "video": "영상", "travel": "여행", "health": "건강", "autos": "자동차", "movies": "영화",
    "entertainment": "연예", "politics": "정치", "u.s.": "미국", "world": "국제", "football": "미식축구",
    "baseball": "야구", "basketball": "농구", "science and technology": "과학 기술", "technology": "기술",
    "golf": "골프", "soccer": "축구", "ice hockey": "아이스하키", "racing": "레이싱", "recipes": "요리법",
    "medical": "의학", "animals": "동물", "markets": "시장", "real estate": "부동산", "companies": "기업",
    "celebrity": "유명인", "royals": "왕실", "opinion": "오피니언", "elections": "선거", "science": "과학",
    "nutrition": "영양", "wellness": "웰빙", "weight loss": "다이어트", "good news": "미담", "viral": "화제",
    "trends": "트렌드", "offbeat": "이색 뉴스", "career": "커리어", "home and garden": "집과 정원",
    # Korean news topics (ko -> en is the reverse map below)
    # POI (Yelp categories)
    "restaurants": "음식점", "nightlife": "나이트라이프", "food": "음식", "bars": "바", "pizza": "피자",
    "italian": "이탈리아 음식", "sandwiches": "샌드위치", "coffee & tea": "커피와 차", "american (traditional)": "미국 가정식",
    "american (new)": "뉴 아메리칸", "chinese": "중식", "pubs": "펍", "breakfast & brunch": "브런치", "mexican": "멕시코 음식",
    "seafood": "해산물", "ice cream & frozen yogurt": "아이스크림", "delis": "델리", "japanese": "일식", "sushi bars": "스시",
    "lounges": "라운지", "bakeries": "베이커리", "donuts": "도넛", "thai": "태국 음식", "fast food": "패스트푸드",
    "event planning & services": "행사 기획", "arts & entertainment": "예술과 공연", "latin american": "중남미 음식",
    "dive bars": "동네 술집", "sports bars": "스포츠 바", "indian": "인도 음식", "music venues": "공연장",
    "vietnamese": "베트남 음식", "french": "프랑스 음식", "caterers": "케이터링", "middle eastern": "중동 음식",
    "burgers": "버거", "asian fusion": "아시안 퓨전", "steakhouses": "스테이크 하우스", "dance clubs": "클럽",
    "bagels": "베이글", "irish": "아일랜드 음식", "mediterranean": "지중해 음식", "diners": "다이너", "caribbean": "카리브 음식",
    "korean": "한식", "grocery": "식료품점", "desserts": "디저트", "greek": "그리스 음식", "shopping": "쇼핑",
    "hotels & travel": "호텔과 여행", "hotels": "호텔", "spanish": "스페인 음식", "barbeque": "바비큐",
    "food stands": "노점", "specialty food": "특산 식품", "juice bars & smoothies": "주스 바", "tapas bars": "타파스 바",
    "wine bars": "와인 바", "vegan": "비건", "vegetarian": "채식", "dim sum": "딤섬", "karaoke": "노래방",
    "cafes": "카페", "beauty & spas": "뷰티와 스파", "active life": "액티비티", "art galleries": "미술관",
    "chicken wings": "치킨 윙", "tex-mex": "텍스멕스", "southern": "미국 남부 음식", "soul food": "소울 푸드",
    "beer, wine & spirits": "주류", "hot dogs": "핫도그", "creperies": "크레페", "cuban": "쿠바 음식",
}
KO_TOPIC_EN = {"IT과학": "IT and science", "경제": "economy", "사회": "society", "생활문화": "life and culture",
               "세계": "world", "스포츠": "sports", "정치": "politics"}


# catalog -> mix domain (a manifest's `domain` is descriptive, e.g. "industrial and scientific")
CATALOG_DOMAIN = {
    "movies": "movies",
    "books": "books",
    "book-crossing": "books",
    "anime": "anime",
    "news": "news",
    "news-ko": "news",
    "ent-news-ko": "news",
    "poi": "poi",
    "industrial": "e-commerce",
}


# Korean request words -> the English words English catalogs are made of. Together with the reverse
# of GLOSSARY (genre and category words) this turns "범죄 스릴러 영화 추천해줘" into "crime thriller
# movie" before retrieval, so a Korean request on an English catalog is matched on the catalog's own
# words and not only by the multilingual embedder. Empty = a word that carries no meaning for search.
KO_QUERY_WORDS = {
    # what is asked for: the catalog is already of that kind, and its titles say "Novel", "Game" or
    # "Movie" in ways that have nothing to do with the request, so these nouns add no search words
    "영화": "", "영화들": "", "책": "", "소설": "", "소설책": "", "게임": "", "애니": "",
    "애니메이션": "animation", "만화": "manga comic", "시리즈": "series",
    "작품": "", "뉴스": "news", "기사": "news", "식당": "restaurant", "맛집": "restaurant", "카페": "cafe",
    "장소": "place", "상품": "product", "제품": "product", "도구": "tool",
    # request verbs and fillers
    "추천": "", "추천해줘": "", "추천해주세요": "", "추천좀": "", "찾아줘": "", "알려줘": "", "있어": "",
    "있나요": "", "없어": "", "보고": "", "싶어": "", "싶은데": "", "해줘": "", "좀": "", "같은": "",
    "비슷한": "", "처럼": "", "느낌": "", "좋은": "good", "볼만한": "good", "읽을만한": "good",
    "할만한": "good", "명작": "classic masterpiece", "고전": "classic", "인기": "popular", "유명한": "famous",
    # moods and audiences
    "무서운": "scary horror", "공포": "horror", "호러": "horror", "재미있는": "fun", "재밌는": "fun",
    "웃긴": "funny comedy", "코믹": "comedy", "슬픈": "sad", "감동적인": "moving", "감동": "moving",
    "따뜻한": "heartwarming", "잔잔한": "quiet gentle", "로맨틱한": "romantic", "달달한": "romantic",
    "긴장감": "suspense tense", "반전": "twist", "어두운": "dark", "우울한": "dark", "신나는": "exciting",
    "가족": "family", "아이": "kids children", "아이들": "kids children", "어린이": "children kids",
    "청소년": "young adult teen", "성인": "adult", "혼자": "single-player", "친구": "friends", "친구랑": "co-op friends",
    "커플": "romance couple", "비": "rain", "겨울": "winter", "여름": "summer", "가을": "autumn",
    # themes
    "범죄": "crime", "추리": "mystery detective", "탐정": "detective", "살인": "murder", "연쇄살인": "serial killer",
    "스릴러": "thriller", "미스터리": "mystery", "액션": "action", "모험": "adventure", "판타지": "fantasy",
    "공상과학": "sci-fi science fiction", "우주": "space", "외계인": "aliens", "로봇": "robots", "좀비": "zombie",
    "뱀파이어": "vampire", "마법": "magic", "마법사": "wizard", "용": "dragons", "전쟁": "war", "역사": "history",
    "역사적": "historical", "시간여행": "time travel", "타임루프": "time loop", "꿈": "dreams", "디스토피아": "dystopia",
    "생존": "survival", "재난": "disaster", "스파이": "spy", "첩보": "spy espionage", "하이스트": "heist",
    "강도": "heist robbery", "복수": "revenge", "사랑": "love", "연애": "romance", "청춘": "coming of age youth",
    "성장": "coming of age", "학교": "school", "학원": "school", "스포츠": "sports", "야구": "baseball",
    "축구": "soccer football", "농구": "basketball", "복싱": "boxing", "음악": "music", "뮤지컬": "musical",
    "다큐": "documentary", "다큐멘터리": "documentary", "자기계발": "self-help", "경제": "economics business",
    "심리": "psychology", "철학": "philosophy", "과학": "science", "요리": "cooking", "여행": "travel",
    "동물": "animals", "공주": "princess", "영웅": "hero superhero", "슈퍼히어로": "superhero",
    "히어로": "superhero", "닌자": "ninja", "사무라이": "samurai", "해적": "pirates",
    "중세": "medieval", "서부": "western", "느와르": "noir", "누아르": "noir",
    # games
    "오픈월드": "open world", "롤플레잉": "rpg role-playing", "알피지": "rpg", "rpg": "rpg", "슈팅": "shooter",
    "총": "shooter", "격투": "fighting", "레이싱": "racing", "경주": "racing", "퍼즐": "puzzle",
    "전략": "strategy", "시뮬레이션": "simulation", "샌드박스": "sandbox", "플랫포머": "platformer",
    "협동": "co-op cooperative", "멀티": "multiplayer", "멀티플레이": "multiplayer", "싱글": "single-player",
    "파티": "party", "건설": "building", "탐험": "exploration", "잠입": "stealth", "소울라이크": "souls-like",
    "어려운": "hard difficult", "고난도": "hard difficult", "캐주얼": "casual",
    # places, eras, people
    "일본": "japanese japan", "한국": "korean korea", "미국": "american", "영국": "british", "프랑스": "french",
    "중국": "chinese", "세계대전": "world war", "전투": "combat battle", "군인": "soldiers", "정치": "politics",
    "세계관": "worldbuilding world", "왕국": "kingdom", "괴물": "monster", "몬스터": "monster", "악당": "villain",
    "주인공": "", "이야기": "story", "실화": "true story", "전기": "biography", "습관": "habits",
    "자기계발서": "self-help", "개그": "comedy gag", "잔인한": "brutal violent", "귀여운": "cute",
    "키우는": "raising", "수집": "collecting", "짓고": "building", "만드는": "crafting", "자유롭게": "sandbox",
    # anime
    "소년만화": "shounen", "순정만화": "shoujo romance",
    "배틀": "battle action", "메카": "mecha", "일상": "slice of life", "이세계": "isekai another world",
    "학원물": "school", "스포츠물": "sports", "힐링": "healing relaxing",
    # moods and kinds people type, beyond the genre glossary
    "느긋": "relaxing", "편안": "relaxing cozy", "아늑": "cozy", "평화": "peaceful", "경쟁": "competitive",
    "눈물": "tearjerker sad", "울고": "tearjerker sad", "울": "tearjerker sad", "감성": "emotional",
    "방대": "epic", "대작": "epic", "웅장": "epic", "대서사": "epic saga", "장편": "long epic",
    "대전": "versus", "협력": "co-op cooperative", "온라인": "online",
    "짧은": "short", "긴": "long", "가벼운": "light", "가볍고": "light", "무거운": "serious dark",
    "진지한": "serious", "현실적인": "realistic", "리얼한": "realistic", "사실적인": "realistic",
    "잔혹": "brutal violent", "소름": "creepy scary", "미스테리": "mystery", "추리소설": "mystery detective",
    "연애소설": "romance", "로맨스": "romance", "무협": "martial arts", "좀비물": "zombie", "성장물": "coming of age",
    "걸작": "masterpiece", "인생작": "masterpiece", "숨은": "hidden gem",
    "최신": "new recent", "요즘": "recent", "옛날": "old classic", "레트로": "retro",
    # the catalogs' own vocabulary no entry above covered: the most common genres and tags of movies
    # (MovieLens tags), anime (MAL genres) and games (Steam tags), in the Korean a request would use
    "분위기있는": "atmospheric", "몽환": "dreamlike surreal", "몽환적인": "dreamlike surreal",
    "초현실": "surreal", "여운": "thought-provoking bittersweet", "고등학교": "high school",
    "고등학생": "high school", "결말": "ending", "독특": "quirky", "엉뚱": "quirky", "정신질환": "mental illness",
    "정신병": "mental illness", "블랙코미디": "black comedy dark comedy", "풍자": "satire", "언론": "journalism",
    "기자": "journalism", "영상미": "visually appealing cinematography", "셰익스피어": "shakespeare",
    "법정": "court lawyers", "재판": "trial court", "변호사": "lawyers", "검사": "prosecutor", "판사": "judge",
    "사형": "death penalty", "크리스마스": "christmas", "마피아": "mafia", "갱스터": "gangsters mafia",
    "조폭": "gangsters", "조직폭력배": "gangsters", "홀로코스트": "holocaust", "나치": "nazis",
    "사춘기": "adolescence", "불륜": "adultery", "리메이크": "remake", "속편": "sequel", "호주": "australia",
    "인도": "india", "베트남": "vietnam", "불편한": "disturbing", "충격적인": "disturbing", "유령": "ghosts",
    "귀신": "ghosts", "코믹스": "comic book", "디즈니": "disney", "씁쓸": "bittersweet", "인종차별": "racism",
    "마약": "drugs", "이혼": "divorce", "패러디": "spoof parody", "뉴욕": "new york", "암살": "assassination",
    "암살자": "assassin", "장애": "disability", "죽음": "death", "임신": "pregnancy", "납치": "kidnapping",
    "쌍둥이": "twins", "결혼": "marriage wedding", "결혼식": "wedding", "도박": "gambling", "흑백": "black and white",
    "성경": "bible", "거친": "gritty", "대통령": "president", "알코올": "alcoholism", "알콜": "alcoholism",
    "아포칼립스": "post-apocalyptic apocalypse", "종말": "apocalypse post-apocalyptic",
    "멸망": "apocalypse end of the world", "영감": "inspirational", "아일랜드": "ireland", "부패": "corruption",
    "여장": "cross dressing", "인공지능": "artificial intelligence", "미래": "future futuristic",
    "테러": "terrorism", "내전": "civil war", "남북전쟁": "civil war", "기억상실": "amnesia", "노숙자": "homeless",
    "강아지": "dogs", "고양이": "cats", "아프리카": "africa", "감옥": "prison", "교도소": "prison", "탈옥": "prison escape",
    "킬러": "hit men assassin", "청부살인": "hit men", "컬트": "cult film cult classic",
    "사회비판": "social commentary", "스페이스": "space", "오페라": "opera", "은하": "galaxy space",
    "은하계": "galaxy space", "우주비행사": "astronauts space", "편집증": "paranoia", "폭력": "violence",
    "고딕": "gothic", "음산": "gloomy eerie", "으스스": "spooky creepy", "오싹": "chilling creepy",
    "사건": "case", "밴드": "band music", "가수": "singer music", "아이돌": "idol music",
    "요리사": "chef cooking", "고립": "isolation stranded", "탐사": "exploration",
    # games
    "스토리": "story", "인디": "indie", "여주인공": "female protagonist", "전술": "tactical", "고어": "gore",
    "아케이드": "arcade", "커스터마이징": "character customization", "턴제": "turn-based", "파쿠르": "parkour",
    "실시간": "real-time", "운전": "driving", "레고": "lego", "무료": "free to play", "스팀펑크": "steampunk",
    "사이버펑크": "cyberpunk", "다크": "dark", "경영": "business management", "도시": "city", "기지": "base building",
    "픽셀": "pixel graphics", "비주얼노벨": "visual novel", "멀티엔딩": "multiple endings", "사냥": "hunting",
    "비행": "flight", "해전": "naval", "대체역사": "alternate history",
    "1인칭": "first-person", "3인칭": "third person", "로그라이크": "rogue-like roguelike",
    "로그라이트": "rogue-lite", "메트로배니아": "metroidvania", "타워디펜스": "tower defense", "탄막": "bullet hell",
    "횡스크롤": "side scroller", "카드게임": "card game", "보드게임": "board game", "던전": "dungeon crawler",
    "리듬": "rhythm music", "핵앤슬래시": "hack and slash", "미연시": "dating sim", "연애시뮬레이션": "dating sim",
    "포인트앤클릭": "point & click", "대규모": "massively multiplayer", "선택지": "choices matter",
    "물리": "physics", "생존게임": "survival", "도시건설": "city builder", "농장": "farming agriculture",
    "농사": "farming agriculture", "기차": "trains", "공룡": "dinosaurs", "신화": "mythology", "저격": "sniper",
    "탱크": "tanks", "해킹": "hacking", "보물": "loot treasure", "수중": "underwater", "바다": "sea ocean underwater",
    # people and places of crime stories (MovieLens tags)
    "형사": "detective police", "경찰": "police", "살인마": "serial killer killer", "수사": "investigation detective",
}
# endings a Korean word takes in a request: "힐링할" -> 힐링, "배틀물" -> 배틀, "느긋하게" -> 느긋
KO_ENDINGS = ("하게", "하는", "했던", "할", "한", "해", "하고", "스러운", "스럽고", "적인", "물", "류", "들")
