from recchat.chat.followup import parse_followup


def test_not_a_followup_without_a_previous_turn():
    assert not parse_followup("cheaper", has_previous=False).is_followup


def test_refinements():
    f = parse_followup("no horror", True)
    assert f.is_followup and f.drop_terms == ["horror"] and f.add_text == ""
    f = parse_followup("without violence, funnier", True)
    assert f.drop_terms == ["violence"] and f.add_text == "funnier"
    f = parse_followup("more like the second one", True)
    assert f.is_followup and f.like_index == 1
    f = parse_followup("공포 말고", True)
    assert f.drop_terms == ["공포"]
    assert parse_followup("cheaper", True).add_text == "cheaper"


def test_new_requests_start_over():
    assert not parse_followup("a romantic comedy set in Paris", True).is_followup
    assert not parse_followup("Toy Story\nHeat", True).is_followup
