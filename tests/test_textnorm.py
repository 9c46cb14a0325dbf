from recchat.core.textnorm import detect_language, normalize_title


def test_normalize_title_handles_years_articles_and_punctuation():
    assert normalize_title("Matrix, The (1999)") == "matrix"
    assert normalize_title("the Matrix") == "matrix"
    assert normalize_title("Toy Story (1995)") == "toy story"
    assert normalize_title("  TOY STORY!! ") == "toy story"
    assert normalize_title("Seven (a.k.a. Se7en) (1995)") == "seven"
    assert normalize_title("WALL·E (2008)") == normalize_title("Wall E")


def test_normalize_title_keeps_korean():
    assert normalize_title("기생충 (2019)") == "기생충"


def test_detect_language():
    assert detect_language("오스카 수상 영화 추천해줘") == "ko"
    assert detect_language("a funny animated movie") == "en"
    assert detect_language("Toy Story 같은 영화 추천해줘") == "ko"
    assert detect_language("") == "en"
