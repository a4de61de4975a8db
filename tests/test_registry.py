import pytest

from bench.registry import Registry, UnknownNameError


def test_get_returns_registered_object():
    reg = Registry("widget")
    obj = object()
    reg.add("alpha", obj)
    assert reg.get("alpha") is obj
    assert "alpha" in reg and reg.names() == ["alpha"]


def test_unknown_name_suggests_close_match_and_lists_known():
    reg = Registry("metric")
    for name in ("pesq_wb", "pesq_nb", "stoi"):
        reg.add(name, name)
    with pytest.raises(UnknownNameError) as err:
        reg.get("pesq_wbb")
    msg = str(err.value)
    assert "unknown metric 'pesq_wbb'" in msg
    assert "Did you mean 'pesq_wb'" in msg
    assert "pesq_nb, pesq_wb, stoi" in msg
    assert isinstance(err.value, KeyError)


def test_no_suggestion_for_unrelated_name():
    reg = Registry("codec")
    reg.add("dac-16k", 1)
    with pytest.raises(UnknownNameError) as err:
        reg.get("zzzz")
    assert "Did you mean" not in str(err.value)


def test_duplicate_registration_is_an_error():
    reg = Registry("quantizer")
    reg.register("fsq")(int)
    with pytest.raises(ValueError, match="already registered"):
        reg.add("fsq", float)
    reg.add("fsq", float, replace=True)
    assert reg.get("fsq") is float
