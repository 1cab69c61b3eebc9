"""Natural-language query parsing (vcat_core/search/query.py): a table of phrasings → exact filters + semantic text."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from vcat_core.models import ClipFilter
from vcat_core.search.query import ParsedQuery, parse_query

NOW = datetime(2024, 6, 12, 15, 30)  # a Wednesday: this week = Mon 10 June, last week = 3-9 June


def d(y: int, m: int, day: int) -> date:
    return date(y, m, day)


AROUND_60 = {"min_fps": 59.5, "max_fps": 60.5}

# (query, every filter that must be set — nothing else, the semantic text left)
FILTERING: list[tuple[str, dict, str]] = [
    # resolution / orientation / frame rate
    ("show me 4K footage of a dog on the beach", {"resolution": "4k"}, "dog on beach"),
    ("1080p interviews", {"resolution": "1080p"}, "interviews"),
    ("full HD wedding", {"resolution": "1080p"}, "wedding"),
    ("HD wedding", {"resolution": "720p"}, "wedding"),
    ("UHD skyline", {"resolution": "4k"}, "skyline"),
    ("1920x1080 interviews", {"resolution": "1920x1080"}, "interviews"),
    ("vertical videos of cats", {"vertical": True}, "cats"),
    ("clips shot in portrait mode", {"vertical": True}, ""),
    ("horizontal clips of the harbour", {"vertical": False}, "harbour"),
    ("60fps skateboarding clips", AROUND_60, "skateboarding"),
    ("60 fps is great", AROUND_60, "great"),
    ("1080p60 hockey", {"resolution": "1080p", **AROUND_60}, "hockey"),
    ("4K HDR video in 24p", {"resolution": "4k", "hdr": True, "min_fps": 23.5, "max_fps": 24.5}, ""),
    ("interview shot in log", {"log": True}, "interview"),
    ("S-Log3 clips of the beach", {"gamma": "slog3"}, "beach"),
    ("slow motion waves crashing", {"min_fps": 50.0}, "waves crashing"),
    ("at least 30 fps and under 2 min", {"min_fps": 29.5, "max_duration": 120.0}, ""),
    ("under 30fps", {"max_fps": 29.5}, ""),
    ("variable frame rate screen recording", {"vfr": True}, "screen recording"),
    # codec
    ("H.265 clips from my Canon", {"codec": "hevc", "camera": "canon"}, ""),
    ("ProRes 422 HQ footage shot on RED", {"codec": "prores", "camera": "red"}, ""),
    ("dnxhr mxf", {"codec": "dnxhd"}, "mxf"),
    ("mpeg-2 tapes", {"codec": "mpeg2video"}, "tapes"),
    # camera
    ("shot on iPhone at the beach", {"camera": "iphone"}, "beach"),
    ("filmed with a Sony A7S III in 1080p",
     {"resolution": "1080p", "camera": "sony", "camera_model": "a7s iii"}, ""),
    ("filmed on an A7S III at night", {"camera": "sony", "camera_model": "a7s iii"}, "night"),
    ("on my GoPro mountain biking", {"camera": "gopro"}, "mountain biking"),
    ("DJI drone footage of the coast", {"camera": "dji"}, "coast"),
    ("Pixel 7 videos of the park", {"camera": "pixel", "camera_model": "7"}, "park"),
    ("camera:sony", {"camera": "sony"}, ""),
    # duration
    ("clips longer than 2 minutes of interviews", {"min_duration": 120.0}, "interviews"),
    ("interviews under 30 seconds", {"max_duration": 30.0}, "interviews"),
    ("videos between 1 and 3 minutes long", {"min_duration": 60.0, "max_duration": 180.0}, ""),
    ("find me clips of kids playing, under 1 min", {"max_duration": 60.0}, "kids playing"),
    ("clips 2 minutes or longer", {"min_duration": 120.0}, ""),
    ("less than a minute long", {"max_duration": 60.0}, ""),
    ("5 to 10 seconds clips of rain", {"min_duration": 5.0, "max_duration": 10.0}, "rain"),
    ("short clips of dogs", {"max_duration": 30.0}, "dogs"),
    # dates (NOW = 2024-06-12)
    ("clips from 2023", {"created_from": d(2023, 1, 1), "created_to": d(2023, 12, 31)}, ""),
    ("sunset last week", {"created_from": d(2024, 6, 3), "created_to": d(2024, 6, 9)}, "sunset"),
    ("birthday party yesterday", {"created_from": d(2024, 6, 11), "created_to": d(2024, 6, 11)}, "birthday party"),
    ("fireworks in May 2024", {"created_from": d(2024, 5, 1), "created_to": d(2024, 5, 31)}, "fireworks"),
    ("flowers since March", {"created_from": d(2024, 3, 1)}, "flowers"),
    ("penguins in August", {"created_from": d(2023, 8, 1), "created_to": d(2023, 8, 31)}, "penguins"),
    ("between May and July 2023 hiking", {"created_from": d(2023, 5, 1), "created_to": d(2023, 7, 31)}, "hiking"),
    ("ski trips from November to February 2024", {"created_from": d(2023, 11, 1), "created_to": d(2024, 2, 29)},
     "ski trips"),
    ("weddings before 2020", {"created_to": d(2019, 12, 31)}, "weddings"),
    ("in the last 3 days", {"created_from": d(2024, 6, 9), "created_to": d(2024, 6, 12)}, ""),
    ("this month", {"created_from": d(2024, 6, 1), "created_to": d(2024, 6, 12)}, ""),
    ("2024-05-03 lecture", {"created_from": d(2024, 5, 3), "created_to": d(2024, 5, 3)}, "lecture"),
    ("last year's trip", {"created_from": d(2023, 1, 1), "created_to": d(2023, 12, 31)}, "trip"),
    # quality
    ("sharp footage of birds", {"blurry": False}, "birds"),
    ("not blurry photos of dogs", {"blurry": False}, "photos dogs"),
    ("blurry clips", {"blurry": True}, ""),
    ("well exposed interviews with good lighting", {"exposure_warning": False}, "interviews"),
    ("overexposed sky shots", {"flags": ["overexposed"]}, "sky shots"),
    ("noisy footage and underexposed", {"flags": ["noisy", "underexposed"]}, ""),
    # shot type
    ("close-up of a face", {"shot_type": "close_up"}, "face"),
    ("extreme close-up of an eye", {"shot_type": "extreme_close_up"}, "eye"),
    ("wide shot of the city", {"shot_type": "wide"}, "city"),
    ("medium shot of the host", {"shot_type": "medium"}, "host"),
    # tags / collections
    ("tagged interview with the CEO", {"tags": ["interview"]}, "CEO"),
    ("#broll of the office", {"tags": ["broll"]}, "office"),
    ('tagged "b roll" outdoor', {"tags": ["b roll"]}, "outdoor"),
    ("clips in collection Selects", {"collection": "Selects"}, ""),
    ("dogs in the park from the Selects collection", {"collection": "Selects"}, "dogs in park"),
    # several at once
    ("show me all the vertical 4k clips shot on iphone 15 pro from last month longer than 30 seconds tagged travel",
     {"resolution": "4k", "vertical": True, "camera": "iphone", "camera_model": "15 pro", "min_duration": 30.0,
      "created_from": d(2024, 5, 1), "created_to": d(2024, 5, 31), "tags": ["travel"]}, ""),
    ("Show me sharp, well exposed close-ups of flowers in May 2024",
     {"blurry": False, "exposure_warning": False, "shot_type": "close_up",
      "created_from": d(2024, 5, 1), "created_to": d(2024, 5, 31)}, "flowers"),
    ("interviews filmed in 2023 with a Canon C70 in ProRes at 25fps",
     {"codec": "prores", "min_fps": 24.5, "max_fps": 25.5, "camera": "canon", "camera_model": "c70",
      "created_from": d(2023, 1, 1), "created_to": d(2023, 12, 31)}, "interviews"),
]

# phrases that look like filters but are not: no filter, the text kept (minus filler words)
NOT_FILTERS: list[tuple[str, str]] = [
    ("log cabin in the woods", "log cabin in woods"),
    ("my vlog about cats", "vlog about cats"),
    ("a 4 minute mile", "4 minute mile"),
    ("shot of the sony logo", "shot sony logo"),
    ("close to the river", "close to river"),
    ("sharp knife", "sharp knife"),
    ("the 1080 freestyle", "1080 freestyle"),
    ("May flowers", "May flowers"),
    ("march of the penguins", "march penguins"),
    ("2023 election results", "2023 election results"),
    ("iphone case review", "iphone case review"),
    ("timelapse of clouds over mountains", "timelapse clouds over mountains"),
    ("drone footage of the coast", "drone coast"),
    ("noisy crowd at a concert", "noisy crowd at concert"),
    ("vertical cliff climbing", "vertical cliff climbing"),
    ("landscape photography", "landscape photography"),
    ("portrait of a woman", "portrait woman"),
    ("blurry background portrait", "blurry background portrait"),
    ("in focus group discussion", "focus group discussion"),
    ("price tag on shelf", "price tag on shelf"),
    ("shot on red carpet", "shot on red carpet"),
    ("close up the shop", "close up shop"),
    ("over 2000 clips", "over 2000"),
    ("dog running on the beach", "dog running on beach"),
]


@pytest.mark.parametrize(("query", "expected", "semantic"), FILTERING, ids=[q for q, _, _ in FILTERING])
def test_filters(query: str, expected: dict, semantic: str) -> None:
    parsed = parse_query(query, now=NOW)
    assert parsed.filters() == expected
    assert parsed.semantic == semantic
    assert len(parsed.explanation) == len(parsed.spans) >= 1
    for span in parsed.spans:  # every span points at the text it came from, in text order
        assert query[span.start:span.end] == span.text
        assert span.applied
    assert [s.start for s in parsed.spans] == sorted(s.start for s in parsed.spans)
    ClipFilter(**parsed.to_filter_kwargs())  # always a valid ClipFilter


@pytest.mark.parametrize(("query", "semantic"), NOT_FILTERS, ids=[q for q, _ in NOT_FILTERS])
def test_not_filters(query: str, semantic: str) -> None:
    parsed = parse_query(query, now=NOW)
    assert parsed.filters() == {}
    assert parsed.spans == [] and parsed.explanation == []
    assert parsed.semantic == semantic


def test_table_size() -> None:
    assert len(FILTERING) >= 30 and len(NOT_FILTERS) >= 10


def test_explanation_and_spans() -> None:
    q = "clips longer than 2 minutes shot on iPhone"
    parsed = parse_query(q, now=NOW)
    assert parsed.explanation == ["duration: at least 120 s (from 'longer than 2 minutes')",
                                  "camera: iphone (from 'shot on iPhone')"]
    assert [(s.filter, s.text) for s in parsed.spans] == [("duration", "longer than 2 minutes"),
                                                          ("camera", "shot on iPhone")]
    assert parse_query("resolution 4K", now=NOW).explanation == ["resolution: 4k (from '4K')"]


def test_conflicting_phrase_is_consumed_and_explained() -> None:
    parsed = parse_query("4K or 1080p drone shots", now=NOW)
    assert parsed.filters() == {"resolution": "4k"}
    assert parsed.semantic == "drone shots"
    assert parsed.explanation[1] == "ignored '1080p' (resolution: 1080p): resolution was already set"
    assert [s.applied for s in parsed.spans] == [True, False]


def test_to_filter_kwargs_and_extras() -> None:
    parsed = parse_query("sharp vertical 4K clips at 60fps shot on Sony A7 from 2023, noisy and overexposed "
                         "tagged travel in the Trips collection", now=NOW)
    kwargs = parsed.to_filter_kwargs()
    extra_names = {"vertical", "min_fps", "max_fps", "created_from", "created_to", "camera_model"}
    assert {k: v for k, v in kwargs.items() if k not in extra_names} == {
        "resolution": "4k", "camera": "sony", "tags": ["travel"], "collection": "Trips", "blurry": False,
        "flag": "noisy"}
    assert ClipFilter(**kwargs).resolution == "4k"
    extras = {**{k: v for k, v in kwargs.items() if k in extra_names}, **parsed.extra_filters()}
    assert extras.pop("extra_flags", ["overexposed"]) == ["overexposed"]
    assert extras == {"vertical": True, "min_fps": 59.5, "max_fps": 60.5, "created_from": d(2023, 1, 1),
                      "created_to": d(2023, 12, 31), "camera_model": "a7"}
    assert parsed.semantic == ""


def test_relative_dates_follow_now() -> None:
    jan = datetime(2025, 1, 15, 9, 0)  # a Wednesday in January: "last month" is December of the year before
    assert parse_query("last month", now=jan).filters() == {"created_from": d(2024, 12, 1),
                                                            "created_to": d(2024, 12, 31)}
    assert parse_query("in March", now=jan).filters() == {"created_from": d(2024, 3, 1),
                                                          "created_to": d(2024, 3, 31)}
    assert parse_query("last weekend", now=jan).filters() == {"created_from": d(2025, 1, 11),
                                                              "created_to": d(2025, 1, 12)}
    assert parse_query("past week", now=jan).filters() == {"created_from": d(2025, 1, 8), "created_to": d(2025, 1, 15)}


def test_empty_and_default_now() -> None:
    assert parse_query("").filters() == {} and parse_query("").semantic == ""
    parsed = parse_query("today")
    assert isinstance(parsed, ParsedQuery)
    assert parsed.created_from == parsed.created_to == datetime.now().date()
