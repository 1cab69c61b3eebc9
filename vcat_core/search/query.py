"""Natural-language query understanding: `parse_query(text, now=...)` → `ParsedQuery` (a pure function, no I/O).

A search query mixes *filters* ("4K", "shot on iPhone", "longer than 2 minutes", "from 2023") with *meaning*
("a dog running on the beach"). This module finds the filter phrases with ordered regular-expression rules, records
each one (value, the span of the original text it came from, a one-line explanation) and hands back what is left, with
filler words removed, as `semantic` for the text / vector search.

Every rule below is deliberately conservative: a phrase becomes a filter only when its wording says so without
doubt; anything ambiguous stays in `semantic`, where the meaning search can still use it.

Rules (matching is case-insensitive unless said otherwise). They run in the order of `_RULES` — collection, tags,
dates with a preposition, duration, vfr, frame rate, resolution, codec, camera, orientation, bare dates, shot type,
quality — and a later rule never takes text an earlier one took. "A media noun" below means footage, clip(s),
video(s), vids, shot(s), image(s), frame(s), take(s), recording(s), reel(s), stories; when a rule looks at "the next
word" it skips text other rules took, "and" and punctuation, and a shot-type phrase counts as a media noun.

* **Collection** (`collection`, name kept as typed): "in collection Selects", "from the collection 'Best Of'",
  "in the Selects collection", "from my Summer Trip collection" (up to 4 words that are not prepositions or articles
  before "collection"), "collection:Selects". Unquoted names after "collection" are one word: quote longer ones.
* **Person** (`person`, name as typed): "person:Maria", "person:'Maria Lopez'", "who:Maria"; and a name the
  catalog has given a person (passed in as `people`), after "with", "of", "featuring", "showing", "starring" or
  "and": "clips with Maria", "interviews of Maria Lopez". Another capitalised word is not taken for a name.
* **Tags** (`tags`, lower case, spaces collapsed, several allowed): "#broll", "tagged interview", "tagged as 'b roll'",
  "tagged with drone", "with the tag interview", "tag:interview". A bare word "tag" ("price tag") is not a filter.
* **Culling** (`min_rating` / `max_rating`, `pick`, `label`; see store/ratings.py): "rating:>=4", "rating:2-4",
  "stars:5", "rating:unrated", "at least 4 stars", "4 stars or more", "4+ stars", "rated 3" (exactly); "5 star",
  "3-star" and "unrated" only before a media noun or at the end ("5 star clips", not "a 5 star hotel").
  "pick:reject", "flagged as picks", and "picks", "picked", "rejects", "rejected", "unflagged" before a media noun
  or at the end ("picked clips", "interview picks", not "picked up the ball"). Labels: "label:red", "red label",
  "labelled green", "label:none".
* **Dates** (`created_from` / `created_to`, inclusive calendar dates, relative to `now`). A date term is an ISO day
  ("2024-05-03"), a day with month and year ("May 3, 2024", "3 May 2024"), a month with year ("May 2024",
  "2024-05"), a bare month ("May": its latest occurrence not after `now`), a month and day without year, a year
  (1900-2099), or a relative term: "today", "yesterday", "this week|month|year" (start of the unit → today),
  "this weekend" (Saturday and Sunday of this week), "last|previous week|month|year" (the previous *calendar* unit,
  weeks are Monday-Sunday), "last weekend" (Saturday and Sunday of last week), "past week|month|year" and
  "last|past N days|weeks|months|years" (rolling: N units before today → today), "last May" (the latest May
  strictly before the current month).
  Phrases: "between A and B" / "from A to|until|through B" (a range; a month without year borrows B's year, or the
  year before when it comes later in the calendar: "from November to February 2024" → 2023-11-01..2024-02-29),
  "since A" / "from A onwards" (→ from A's first day), "after A" (→ from the day after A), "before A" / "prior to A"
  (→ to the day before A), "until A" (→ to A's last day), "in|during|from|on|throughout A" and "within|over the
  last|past …" (A's first to last day). Without such a word only unambiguous terms filter: ISO dates, month + year,
  day + month + year and the relative terms. A bare year ("2023 election results") or a bare month ("May flowers",
  "March of the penguins") is *not* a date filter; "over 2000 clips" is not one either.
* **Duration** (`min_duration` / `max_duration`, seconds, inclusive): a comparison and a number with a unit (s, sec,
  second, min, minute, h, hr, hour; digits or the words "a", "one" … "ninety", "half a|an"): "longer than|more than|
  over|above|at least|no shorter than|minimum|min|>|>=" → minimum; "shorter than|less than|under|below|at most|
  no longer than|no more than|up to|maximum|max|<|<=" → maximum; "2 minutes or more|longer", "30 s or less|shorter",
  "2+ minutes"; ranges "between 1 and 3 minutes", "1-3 minutes", "from 30 seconds to 2 minutes". A trailing "long"
  belongs to the phrase. Adjectives: "short clips|videos|footage" → at most 30 s, "long clips|videos|footage|takes" →
  at least 120 s. A bare length ("a 4 minute mile", "30 second ad") is not a filter.
* **Frame rate** (`min_fps` / `max_fps`; a stated rate N means N ± 0.5 so 23.976, 29.97 and 59.94 match 24, 30 and
  60): "60fps", "60 fps", "60 frames per second", "frame rate 60", "24p", "29.97p" (only the usual rates 23.976-60
  with "p"), "1080p60" / "4K60" (resolution and rate at once); "at least|minimum N fps", "N fps or more", "N+ fps"
  → from N - 0.5; "over|above|more than N fps" → from N + 0.5; "at most|up to N fps", "N fps or less" → to N + 0.5;
  "under|below|less than N fps" → to N - 0.5. "slow motion", "slow-mo", "slomo", "high frame rate", "HFR" → at least
  50 fps. "timelapse" is *not* a filter (it stays in `semantic`).
* **Resolution** (`resolution`, in the store's vocabulary): "1080p", "720p", "2160p" (digits directly followed by
  "p"), "1080 HD" / "1080HD" → "1080p", "full HD" / "FHD" → "1080p", "4K" / "UHD" / "ultra HD" → "4k", "8K" → "8k",
  "1920x1080" → "1920x1080", a bare "HD" → "720p" (HD-ready; the store's own "hd"). "the 1080 freestyle" (no "p" or
  "HD") is not a filter.
* **Orientation** (`vertical`): "vertical" when the next word is a media noun or the end ("vertical videos",
  "vertical 4K clips", "... vertical"), "vertical format|orientation|mode|aspect ratio", "in vertical",
  "shot|filmed|recorded (in) vertical(ly)", "portrait mode|orientation|format", "9:16" → True; the same with
  "horizontal", "landscape mode|orientation|format", "16:9" → False. "vertical cliff", "landscape photography" and
  "portrait of a woman" are not filters.
* **Variable frame rate** (`vfr`): "VFR", "variable frame rate" → True; "CFR", "constant frame rate" → False.
* **Codec** (`codec`, FFmpeg names as stored): H.264 / H264 / x264 / AVC → h264; H.265 / HEVC / x265 → hevc;
  ProRes (any profile) → prores, "ProRes RAW" → prores_raw; DNxHD / DNxHR / DNx → dnxhd; MPEG-2 → mpeg2video;
  MPEG-4 → mpeg4; VP8, VP9, AV1; MJPEG / motion JPEG → mjpeg. A following "codec" is part of the phrase.
* **Camera** (`camera`: a lower-case substring of make + model, i.e. the *brand*; model words, when given, go to
  `camera_model` and are not filtered on, because marketing names rarely match the stored model — "A7S III" is
  stored as "ILCE-7SM3"). Known brands: iPhone → "iphone", iPad → "ipad", GoPro, DJI, Sony, Canon, Nikon,
  Panasonic / Lumix → "panasonic", Fujifilm / Fuji → "fujifilm", Blackmagic / BMPCC → "blackmagic", ARRI, RED (only
  written "RED" or with a model), Samsung / Galaxy → "samsung", (Google) Pixel → "pixel", Google, Insta360,
  Olympus, Leica, Hasselblad, Sigma, Huawei, Xiaomi, OnePlus. Model names that imply the brand (A7…, FX3, ZV-E10,
  GH5, EOS, C70, HERO 9, Mavic, Osmo, X-T4, URSA, ALEXA, Komodo …) count as that brand. A camera filters only
  when introduced by "shot|filmed|recorded|taken|captured|made on|with|using|by|from [my|a|the] …" ("shot on iPhone
  15 Pro", "filmed with a Sony A7S III"), by "on|from my|our …" ("on my GoPro"), by "with|using my|a|the …" ("with
  a Canon C70"; for the brands that are also words — Canon, Galaxy, Pixel, Google, Sigma, Olympus, RED — only with a
  model after "a|the"), when a brand (and model) is directly followed by a media noun, optionally after
  "drone|camera|cam|phone" ("GoPro footage", "DJI drone clips", "iPhone 15 videos"), or as "camera:sony" (any word,
  mapped to its brand when known). So "shot of the sony logo" and "iphone case review" are not filters, and "drone
  footage" is not "dji" (other drones exist; the meaning search sees aerial shots anyway).
* **Shot type** (`shot_type`): "extreme close-up" / "ECU" → extreme_close_up; "close-up", "closeup", "close-ups",
  "close up" (two words only before "shot(s)"/"of" or at the end), "tight shot" → close_up; "medium shot",
  "mid shot", "medium close-up shot" → medium; "wide shot", "wide-angle shot", "establishing shot", "extreme wide
  shot" → wide. "close to the river" and "wide river" are not filters.
* **Quality** — blur (`blurry`): "not blurry", "non-blurry", "without blur", "no blur", "not out of focus",
  "in focus" (not "in focus group"), "well focused", and "sharp" / "crisp" (optionally after very|really|super|
  nicely|nice and) only when the next word is a media noun or the end ("sharp footage", "sharp, well exposed
  close-ups", "birds that are sharp") → False (ClipFilter's `blurry=False`: not flagged blurry);
  "blurry", "blurred", "out of focus", "unfocused", "soft focus" (not before "background") → True.
  "sharp knife" is not a filter. Exposure (`exposure_warning`): "well exposed", "well lit", "properly|correctly
  exposed", "good lighting|exposure", "proper exposure" → False (no exposure warning); "badly|poorly exposed|lit",
  "bad|poor exposure|lighting", "exposure problems|issues" → True. Flags (`flags`, several allowed; the first is
  ClipFilter's `flag`): "overexposed", "blown out", "too bright" → overexposed; "underexposed", "too dark" →
  underexposed; "noisy" / "grainy" (same next-word rule as "sharp", so "noisy crowd" is not a filter), "sensor|image|
  digital|video noise" → noisy; "heavy compression", "heavily compressed", "compression artifacts", "blocky",
  "macroblocking" → heavy_compression.

A phrase whose filter is already set to another value ("4K or 1080p") is consumed but ignored, and the explanation
says so. There is no general negation ("not 4K" is not understood); only blur has negative forms.

`semantic`: the text left once filter spans are removed, together with a connector word right before a span ("in",
"at", "on", "from", "during", "and", "with", "using", "as", and a verb "shot|filmed|recorded|captured|taken|encoded"
right before such a connector). Then a leading command ("show me", "find", "search for", "I want" …) and filler
words ("footage", "clips", "videos", "with", "that", "of", "a", "the", "is", "are" …; see `_FILLER`) are dropped,
dangling connectors at either end are trimmed, edge punctuation is stripped from each word (a lone "'s" goes), and
the case of the remaining words is kept.

API: `ParsedQuery.filters()` (every filter set, including the ones ClipFilter lacks), `to_filter_kwargs()` (what
`ClipFilter(**kwargs)` accepts today, plus any extra field once ClipFilter gains it under the same name) and
`extra_filters()` (the rest: `vertical`, `min_fps`, `max_fps`, `created_from`, `created_to`, `camera_model`,
`extra_flags`). Blur and exposure use ClipFilter's own tri-state fields (`blurry=False` = "not blurry",
`exposure_warning=False` = "well exposed") instead of separate `not_blurry` / `exposure_ok` fields.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from ..models import ClipFilter

SHORT_CLIP_MAX_S = 30.0
LONG_CLIP_MIN_S = 120.0
SLOW_MOTION_MIN_FPS = 50.0
FPS_TOLERANCE = 0.5

# ---- result ----------------------------------------------------------------------------------------------------

CLIP_FILTER_FIELDS = ("codec", "resolution", "camera", "min_duration", "max_duration", "vfr", "exposure_warning",
                      "tags", "collection", "shot_type", "blurry", "min_rating", "max_rating", "pick", "label", "hdr", "log", "gamma",
                      "person")
EXTRA_FIELDS = ("vertical", "min_fps", "max_fps", "created_from", "created_to", "camera_model")
FILTER_FIELDS = ("codec", "resolution", "vertical", "min_fps", "max_fps", "vfr", "camera", "camera_model",
                 "min_duration", "max_duration", "created_from", "created_to", "shot_type", "blurry",
                 "exposure_warning", "flags", "tags", "collection", "min_rating", "max_rating", "pick", "label", "hdr", "log", "gamma",
                 "person")


class QuerySpan(BaseModel):
    """Where in the original text one recognised filter phrase sits: `text == query[start:end]`."""

    filter: str  # resolution | vertical | fps | codec | camera | duration | created | shot_type | blur | exposure
    #               | flag | vfr | tag | collection | rating | pick | label | person
    start: int
    end: int
    text: str
    applied: bool = True  # False: the field was already set to another value, so this phrase was ignored


class ParsedQuery(BaseModel):
    """What `parse_query` understood. Unset filters are None (lists: empty)."""

    query: str
    semantic: str = ""  # the text left for the meaning / word search
    codec: str | None = None  # FFmpeg name: h264, hevc, prores, prores_raw, dnxhd, mpeg2video, mpeg4, vp9, av1 …
    resolution: str | None = None  # "720p" | "1080p" | "2160p" | "4k" | "8k" | "WxH" (ClipFilter vocabulary)
    vertical: bool | None = None  # True: height > width (as displayed); False: landscape
    min_fps: float | None = None
    max_fps: float | None = None
    vfr: bool | None = None
    camera: str | None = None  # lower-case brand, a substring of "make model"
    camera_model: str | None = None  # model words as typed (lower case), informational only
    min_duration: float | None = None  # seconds
    max_duration: float | None = None
    created_from: date | None = None  # inclusive
    created_to: date | None = None  # inclusive
    shot_type: str | None = None  # extreme_close_up | close_up | medium | wide
    blurry: bool | None = None  # True: flagged blurry; False: not flagged blurry
    exposure_warning: bool | None = None  # True: has an exposure warning; False: has none
    flags: list[str] = Field(default_factory=list)  # quality flags that must all be present
    tags: list[str] = Field(default_factory=list)
    collection: str | None = None
    min_rating: int | None = None  # culling (store/ratings.py): stars
    max_rating: int | None = None
    pick: str | None = None  # pick | reject | unflagged
    label: str | None = None  # a colour label
    hdr: bool | None = None  # True: PQ / HLG / Dolby Vision; False: SDR
    log: bool | None = None  # shot in a camera log curve
    gamma: str | None = None  # one log profile, as ClipFilter.gamma spells it loosely ("slog3")
    person: str | None = None  # a person's name as typed ("person:Maria", or a known name: "clips with Maria")
    explanation: list[str] = Field(default_factory=list)  # one line per recognised phrase, in text order
    spans: list[QuerySpan] = Field(default_factory=list)  # in text order

    def filters(self) -> dict[str, Any]:
        """Every filter that was set (lists only when not empty), in a fixed order."""
        out: dict[str, Any] = {}
        for name in FILTER_FIELDS:
            value = getattr(self, name)
            if value is not None and value != []:
                out[name] = value
        return out

    def to_filter_kwargs(self) -> dict[str, Any]:
        """The subset `ClipFilter(**kwargs)` accepts: its own fields, `flag` (the first of `flags`), and any of the
        extra fields (`vertical`, `min_fps`, `max_fps`, `created_from`, `created_to`) once ClipFilter has them."""
        known = ClipFilter.model_fields
        out: dict[str, Any] = {}
        for name in CLIP_FILTER_FIELDS + EXTRA_FIELDS:
            value = getattr(self, name)
            if name in known and value is not None and value != []:
                out[name] = list(value) if isinstance(value, list) else value
        if self.flags:
            out["flag"] = self.flags[0]
        if len(self.flags) > 1 and "flags" in known:
            out["flags"] = list(self.flags)
        return out

    def extra_filters(self) -> dict[str, Any]:
        """The filters `to_filter_kwargs` could not pass on because ClipFilter lacks the field (`extra_flags`: the
        quality flags after the first)."""
        known = ClipFilter.model_fields
        out = {name: getattr(self, name) for name in EXTRA_FIELDS
               if name not in known and getattr(self, name) is not None}
        if len(self.flags) > 1 and "flags" not in known:
            out["extra_flags"] = self.flags[1:]
        return out


# ---- shared pieces ---------------------------------------------------------------------------------------------

_B = r"(?<![\w])"  # start of a word
_E = r"(?![\w])"  # end of a word
_MEDIA = r"(?:footage|clips?|videos?|vids|shots?|images?|frames?|takes?|recordings?)"
_MEDIA_WORDS = {"footage", "clip", "clips", "video", "videos", "vids", "shot", "shots", "image", "images", "frame",
                "frames", "take", "takes", "recording", "recordings", "reel", "reels", "stories", None}  # None: the end
_QUOTED = r"""(?:"[^"]+"|'[^']+'|“[^”]+”|‘[^’]+’)"""

_NUM_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
    "fortyfive": 45, "fifty": 50, "sixty": 60, "ninety": 90, "halfa": 0.5, "halfan": 0.5,
}
_NUM_D = r"\d+(?:\.\d+)?"
_NUM_W = (r"(?:half\s+an?|forty[\s-]five|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
          r"fifteen|twenty|thirty|forty|fifty|sixty|ninety)(?=\s)")
_NUM = rf"(?<![\w.])(?:{_NUM_D}|{_NUM_W})"


def _number(s: str) -> float:
    s = s.strip().lower()
    if re.fullmatch(_NUM_D, s):
        return float(s)
    return float(_NUM_WORDS[re.sub(r"[\s-]+", "", s)])


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.VERBOSE)


class _Hit:
    __slots__ = ("append", "end", "filter", "label", "start", "values")

    def __init__(self, filter: str, start: int, end: int, values: dict[str, Any], label: str,
                 append: bool = False) -> None:
        self.filter, self.start, self.end, self.values, self.label, self.append = (
            filter, start, end, values, label, append)


Rule = Callable[[re.Match[str], "_Parser"], "list[_Hit] | _Hit | None"]


# ---- collection and tags ---------------------------------------------------------------------------------------

def _unquote(s: str) -> str:
    s = s.strip()
    if len(s) >= 2 and s[0] in "\"'“‘" and s[-1] in "\"'”’":
        s = s[1:-1]
    return s.strip()


_NAME_WORD = r"(?!(?:in|from|of|the|on|at|with|for|and|to|my|our|a|an)\b)[\w'&-]+"
_COLLECTION_RX = [
    _rx(rf"{_B}(?:in|from)\s+(?:the\s+|my\s+|our\s+)?collection\s+(?:called\s+|named\s+)?"
        rf"(?P<n>{_QUOTED}|{_NAME_WORD})"),
    _rx(rf"{_B}(?:in|from)\s+(?:(?:the|my|our)\s+)?(?P<n>{_QUOTED}|{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,3}})"
        rf"\s+collection{_E}"),
    _rx(rf"{_B}collection\s*[:=]\s*(?P<n>{_QUOTED}|[^\s,]+)"),
]


def _collection(m: re.Match[str], p: _Parser) -> _Hit | None:
    name = _unquote(m.group("n"))
    if not name:
        return None
    return _Hit("collection", m.start(), m.end(), {"collection": name}, f"collection: {name}")


_TAG_RX = [
    _rx(r"(?<![\w&#])\#(?P<t>[a-z][\w-]*)"),
    _rx(rf"{_B}tagged\s+(?:as\s+|with\s+)?(?P<t>{_QUOTED}|\w[\w-]*)"),
    _rx(rf"{_B}(?:(?:with|has|having)\s+(?:the\s+|a\s+)?tag\s+|tag\s*[:=]\s*)(?P<t>{_QUOTED}|\w[\w-]*)"),
]


def _tag(m: re.Match[str], p: _Parser) -> _Hit | None:
    tag = " ".join(_unquote(m.group("t")).lower().split())
    if not tag:
        return None
    return _Hit("tag", m.start(), m.end(), {"tags": tag}, f"tag: {tag}", append=True)


# ---- people: "person:Maria", and a name the catalog knows after with / of / featuring ---------------------------

_PERSON_KEY_RX = _rx(rf"{_B}(?:person|who)\s*[:=]\s*(?P<n>{_QUOTED}|[^\s,]+)")


def _person(m: re.Match[str], p: _Parser) -> _Hit | None:
    name = " ".join(_unquote(m.group("n")).split())
    if not name:
        return None
    return _Hit("person", m.start(), m.end(), {"person": name}, f"person: {name}")


def _person_rx(names: list[str]) -> re.Pattern[str] | None:
    """Known names (longest first) after "with", "of", "featuring", "showing", "starring" or "where … is"."""
    names = sorted({" ".join(n.split()) for n in names if n and n.strip()}, key=len, reverse=True)
    if not names:
        return None
    alts = "|".join(r"\s+".join(re.escape(w) for w in n.split()) for n in names)
    return _rx(rf"{_B}(?:with|of|featuring|showing|starring|and)\s+(?P<n>{alts}){_E}")


# ---- culling: stars, pick / reject, colour labels ----------------------------------------------------------------

_COLOURS = r"(?:red|yellow|green|blue|purple)"
_RATING_RX = [
    _rx(rf"{_B}(?:rating|stars)\s*[:=]\s*(?P<expr>[<>=]*\s*[0-5](?:\s*-\s*[0-5]|\+)?|unrated){_E}"),
    _rx(rf"{_B}(?:(?:at\s+least|minimum(?:\s+of)?|min\.?)\s+(?P<min>[1-5])[\s-]*stars?"
        rf"|(?P<min2>[1-5])[\s-]*stars?\s*(?:or\s+(?:more|better|higher|above)|and\s+(?:up|above)|\+)"
        rf"|(?P<min3>[1-5])\+[\s-]*stars?|rated\s+(?P<exact>[0-5])(?:[\s-]*stars?)?"
        rf"(?P<more>\s*(?:or\s+(?:more|better|higher|above)|and\s+(?:up|above)|\+))?){_E}"),
    _rx(rf"{_B}(?P<word>(?P<bare>[1-5])[\s-]*stars?|unrated){_E}"),
]
_PICK_RX = _rx(rf"{_B}(?:pick\s*[:=]\s*(?P<kv>pick|reject|unflagged)|flagged\s+(?:as\s+)?(?P<flagged>picks?|rejects?)"
               rf"|(?P<word>picks|picked|rejects|rejected|unflagged)){_E}")
_LABEL_RX = _rx(rf"{_B}(?:label\s*[:=]\s*(?P<kv>{_COLOURS}|none)|(?P<c>{_COLOURS})[\s-]+label(?:l?ed)?s?"
                rf"|label(?:l?ed)\s+(?P<c2>{_COLOURS})){_E}")


def _rating(m: re.Match[str], p: _Parser) -> _Hit | None:
    from ..store.ratings import RatingError, describe_rating, parse_rating

    g = m.groupdict()
    if g.get("expr"):
        try:
            lo, hi = parse_rating(g["expr"])
        except RatingError:
            return None
    elif g.get("word"):
        if p.next_word(m.end()) not in _MEDIA_WORDS:
            return None  # "a 5 star hotel"
        lo, hi = (None, 0) if not g.get("bare") else (int(g["bare"]), int(g["bare"]))
    elif g.get("exact") is not None:
        lo, hi = parse_rating(g["exact"] + ("+" if g.get("more") else ""))
    else:
        lo, hi = int(g.get("min") or g.get("min2") or g.get("min3")), None
    if lo == 5 and hi == 5:
        hi = None
    values = {k: v for k, v in (("min_rating", lo), ("max_rating", hi)) if v is not None}
    if not values:
        return None
    return _Hit("rating", m.start(), m.end(), values, f"rating: {describe_rating(lo, hi)}")


def _pick(m: re.Match[str], p: _Parser) -> _Hit | None:
    word = (m.group("kv") or m.group("flagged") or m.group("word")).lower()
    if m.group("word") and p.next_word(m.end()) not in _MEDIA_WORDS:
        return None  # "picked up the ball"
    value = "unflagged" if word == "unflagged" else "pick" if word.startswith("pick") else "reject"
    return _Hit("pick", m.start(), m.end(), {"pick": value}, f"flag: {value}")


def _label(m: re.Match[str], p: _Parser) -> _Hit:
    colour = (m.group("kv") or m.group("c") or m.group("c2")).lower()
    return _Hit("label", m.start(), m.end(), {"label": colour}, f"label: {colour}")


# ---- dates -----------------------------------------------------------------------------------------------------

_MONTHS = {"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
           "september": 9, "october": 10, "november": 11, "december": 12, "jan": 1, "feb": 2, "mar": 3, "apr": 4,
           "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12}
_M = (r"(?:january|february|march|april|may|june|july|august|september|october|november|december|"
      r"jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?(?![\w])")
_Y = r"(?:19|20)\d{2}(?![\w])"
_D = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?(?![\w])"
_COUNT = r"(?:\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_UNIT = r"(?:days?|weeks?|months?|years?)"
_TERM = rf"""(?:
    \d{{4}}-\d{{1,2}}-\d{{1,2}}(?![\w-])
  | {_M}\s+{_D},?\s+{_Y}
  | {_D}\s+(?:of\s+)?{_M},?\s+{_Y}
  | {_M},?\s+(?:of\s+)?{_Y}
  | {_Y}-(?:0[1-9]|1[0-2])(?![\w-])
  | (?:the\s+)?(?:last|past)\s+{_COUNT}\s+{_UNIT}(?![\w])
  | (?:the\s+)?(?:last|past|previous|this)\s+(?:week|weekend|month|year)(?![\w])
  | last\s+{_M}
  | (?:today|yesterday)(?![\w])
  | {_M}\s+{_D}
  | {_M}
  | {_Y}
)"""


def _month_end(y: int, m: int) -> date:
    return date(y, m, monthrange(y, m)[1])


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 + n, 12)
    m += 1
    return date(y, m, min(d.day, monthrange(y, m)[1]))


def _latest_month(m: int, today: date) -> int:
    """The year of the latest month `m` not after today."""
    return today.year if m <= today.month else today.year - 1


class _Term:
    __slots__ = ("bare_ok", "end", "has_year", "month_only", "start")

    def __init__(self, start: date, end: date, *, has_year: bool, bare_ok: bool, month_only: int | None = None):
        self.start, self.end, self.has_year, self.bare_ok, self.month_only = start, end, has_year, bare_ok, month_only


def _resolve(text: str, today: date, year: int | None = None) -> _Term | None:
    """One date term → its first and last day; None when it is not a valid date."""
    t = " ".join(text.lower().replace(",", " ").split())
    t = re.sub(r"^the ", "", t).replace(".", "") if not re.match(r"^\d", t) else t
    t = re.sub(r"(\d)(?:st|nd|rd|th)\b", r"\1", t)
    try:
        if t == "today":
            return _Term(today, today, has_year=True, bare_ok=True)
        if t == "yesterday":
            d = today - timedelta(days=1)
            return _Term(d, d, has_year=True, bare_ok=True)
        monday = today - timedelta(days=today.weekday())
        if m := re.fullmatch(r"(last|past|previous|this) (week|weekend|month|year)", t):
            which, unit = m.groups()
            if which == "this":
                start = {"week": monday, "weekend": monday + timedelta(days=5), "month": today.replace(day=1),
                         "year": date(today.year, 1, 1)}[unit]
                end = monday + timedelta(days=6) if unit == "weekend" else today
                return _Term(start, min(end, today) if unit != "weekend" else end, has_year=True, bare_ok=True)
            if which == "past" and unit != "weekend":
                return _Term(_rolling(today, 1, unit), today, has_year=True, bare_ok=True)
            if unit == "week":
                return _Term(monday - timedelta(days=7), monday - timedelta(days=1), has_year=True, bare_ok=True)
            if unit == "weekend":
                return _Term(monday - timedelta(days=2), monday - timedelta(days=1), has_year=True, bare_ok=True)
            if unit == "month":
                first = _add_months(today.replace(day=1), -1)
                return _Term(first, _month_end(first.year, first.month), has_year=True, bare_ok=True)
            return _Term(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31), has_year=True, bare_ok=True)
        if m := re.fullmatch(rf"(?:last|past) (\w+) ({_UNIT})", t):
            n = int(m.group(1)) if m.group(1).isdigit() else int(_NUM_WORDS[m.group(1)])
            return _Term(_rolling(today, n, m.group(2).rstrip("s")), today, has_year=True, bare_ok=True)
        if m := re.fullmatch(r"last (\w+)", t):
            mo = _MONTHS[m.group(1)]
            y = today.year if mo < today.month else today.year - 1
            return _Term(date(y, mo, 1), _month_end(y, mo), has_year=True, bare_ok=True)
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", t):
            d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            return _Term(d, d, has_year=True, bare_ok=True)
        if m := re.fullmatch(r"(\d{4})-(\d{2})", t):
            y, mo = int(m.group(1)), int(m.group(2))
            return _Term(date(y, mo, 1), _month_end(y, mo), has_year=True, bare_ok=True)
        if m := re.fullmatch(r"([a-z]+) (\d{1,2}) (\d{4})", t):
            d = date(int(m.group(3)), _MONTHS[m.group(1)], int(m.group(2)))
            return _Term(d, d, has_year=True, bare_ok=True)
        if m := re.fullmatch(r"(\d{1,2}) (?:of )?([a-z]+) (\d{4})", t):
            d = date(int(m.group(3)), _MONTHS[m.group(2)], int(m.group(1)))
            return _Term(d, d, has_year=True, bare_ok=True)
        if m := re.fullmatch(r"([a-z]+) (?:of )?(\d{4})", t):
            y, mo = int(m.group(2)), _MONTHS[m.group(1)]
            return _Term(date(y, mo, 1), _month_end(y, mo), has_year=True, bare_ok=True)
        if m := re.fullmatch(r"([a-z]+) (\d{1,2})", t):
            mo, day = _MONTHS[m.group(1)], int(m.group(2))
            y = year if year is not None else (today.year if (mo, day) <= (today.month, today.day) else today.year - 1)
            d = date(y, mo, day)
            return _Term(d, d, has_year=False, bare_ok=False, month_only=mo)
        if t in _MONTHS:
            mo = _MONTHS[t]
            y = year if year is not None else _latest_month(mo, today)
            return _Term(date(y, mo, 1), _month_end(y, mo), has_year=False, bare_ok=False, month_only=mo)
        if re.fullmatch(r"\d{4}", t):
            y = int(t)
            return _Term(date(y, 1, 1), date(y, 12, 31), has_year=True, bare_ok=False)
    except (ValueError, KeyError):
        return None
    return None


def _rolling(today: date, n: int, unit: str) -> date:
    unit = unit.rstrip("s")
    if unit == "day":
        return today - timedelta(days=n)
    if unit == "week":
        return today - timedelta(days=7 * n)
    if unit == "month":
        return _add_months(today, -n)
    return _add_months(today, -12 * n)


def _date_hit(m: re.Match[str], start: date | None, end: date | None) -> _Hit:
    if start is not None and start == end:
        label = f"created: on {start.isoformat()}"
    elif start is not None and end is not None:
        label = f"created: {start.isoformat()} to {end.isoformat()}"
    elif start is not None:
        label = f"created: on or after {start.isoformat()}"
    else:
        label = f"created: on or before {end.isoformat()}"  # type: ignore[union-attr]
    values = {k: v for k, v in (("created_from", start), ("created_to", end)) if v is not None}
    return _Hit("created", m.start(), m.end(), values, label)


_DATE_RANGE_RX = _rx(rf"""{_B}(?:between\s+(?P<a>{_TERM})\s+and\s+(?P<b>{_TERM})
                          | from\s+(?P<c>{_TERM})\s*(?:to|until|till|through|thru|-|–)\s*(?P<d>{_TERM}))""")
_DATE_OPEN_RX = _rx(rf"""{_B}(?:(?P<op>since|after|before|until|till|prior\s+to)\s+(?P<t>{_TERM})
                          | from\s+(?P<f>{_TERM})\s+(?:on(?:wards?)?|and\s+later|or\s+later){_E})""")
_DATE_IN_RX = _rx(rf"""{_B}(?:in|during|from|on|throughout|(?:within|over)(?=\s+the\s+(?:last|past)))
                       \s+(?P<t>{_TERM})""")
_DATE_BARE_RX = _rx(rf"(?<![\w-])(?P<t>{_TERM})")


def _date_range(m: re.Match[str], p: _Parser) -> _Hit | None:
    a_text, b_text = (m.group("a"), m.group("b")) if m.group("a") else (m.group("c"), m.group("d"))
    b = _resolve(b_text, p.today)
    if b is None:
        return None
    a = _resolve(a_text, p.today)
    if a is not None and a.month_only is not None:  # "from May to July 2024", "between March and today"
        year = b.start.year if a.month_only <= b.start.month else b.start.year - 1
        a = _resolve(a_text, p.today, year)
    if a is None:
        return None
    start, end = min(a.start, b.start), max(a.end, b.end)
    return _date_hit(m, start, end)


def _date_open(m: re.Match[str], p: _Parser) -> _Hit | None:
    if m.group("f"):
        t = _resolve(m.group("f"), p.today)
        return None if t is None else _date_hit(m, t.start, None)
    t = _resolve(m.group("t"), p.today)
    if t is None:
        return None
    op = " ".join(m.group("op").lower().split())
    if op == "since":
        return _date_hit(m, t.start, None)
    if op == "after":
        return _date_hit(m, t.end + timedelta(days=1), None)
    if op in ("before", "prior to"):
        return _date_hit(m, None, t.start - timedelta(days=1))
    return _date_hit(m, None, t.end)  # until / till


def _date_in(m: re.Match[str], p: _Parser) -> _Hit | None:
    t = _resolve(m.group("t"), p.today)
    return None if t is None else _date_hit(m, t.start, t.end)


def _date_bare(m: re.Match[str], p: _Parser) -> _Hit | None:
    t = _resolve(m.group("t"), p.today)
    return None if t is None or not t.bare_ok else _date_hit(m, t.start, t.end)


# ---- duration --------------------------------------------------------------------------------------------------

_DUR_UNIT = r"(?:hours?|hrs?|h|minutes?|mins?|seconds?|secs?|s)(?![\w])"
_DUR_MIN = (r"longer\s+than|more\s+than|greater\s+than|over|above|at\s+least|no\s+(?:less|shorter)\s+than|"
            r"not\s+shorter\s+than|minimum(?:\s+of)?|min\.?|upwards\s+of|>=?|≥")
_DUR_MAX = (r"shorter\s+than|less\s+than|under|below|at\s+most|no\s+(?:more|longer)\s+than|not\s+longer\s+than|"
            r"up\s+to|maximum(?:\s+of)?|max\.?|<=?|≤")
_LONG = r"(?:\s+(?:long|in\s+length|in\s+duration)(?![\w]))?"


def _seconds(n: str, unit: str) -> float:
    u = unit.lower()
    scale = 3600 if u.startswith("h") else 60 if u.startswith("m") else 1
    return round(_number(n) * scale, 3)


_DUR_BETWEEN_RX = _rx(rf"""(?:{_B}between\s+(?P<a>{_NUM})\s*(?P<ua>{_DUR_UNIT})?\s+and\s+(?P<b>{_NUM})\s*
                              (?P<ub>{_DUR_UNIT})
                          | (?:{_B}from\s+)?(?<![\w.])(?P<c>{_NUM_D})\s*(?P<uc>{_DUR_UNIT})?\s*(?:-|–|to)\s*
                              (?P<d>{_NUM_D})\s*(?P<ud>{_DUR_UNIT})){_LONG}""")
_DUR_CMP_RX = _rx(rf"(?<![\w])(?:(?P<max>{_DUR_MAX})|(?P<min>{_DUR_MIN}))\s*(?P<n>{_NUM})\s*(?P<u>{_DUR_UNIT}){_LONG}")
_DUR_POST_RX = _rx(rf"""(?P<n>{_NUM})\s*(?P<u>{_DUR_UNIT})(?:
                         \s+or\s+(?P<dir>more|longer|over|above|less|shorter|under|fewer|below)(?![\w])
                       | \s*\+){_LONG}
                     | (?<![\w.])(?P<n2>{_NUM_D})\s*\+\s*(?P<u2>{_DUR_UNIT}){_LONG}""")
_DUR_ADJ_RX = _rx(rf"{_B}(?:(?P<short>short)|(?P<long>long))(?:\s+takes?{_E}|(?=\s+(?:clips?|videos?|footage|vids)\b))")


def _dur_label(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"duration: {_fmt(lo)}–{_fmt(hi)} s"
    if lo is not None:
        return f"duration: at least {_fmt(lo)} s"
    return f"duration: at most {_fmt(hi)} s"  # type: ignore[arg-type]


def _dur_hit(m: re.Match[str], lo: float | None, hi: float | None) -> _Hit:
    values = {k: v for k, v in (("min_duration", lo), ("max_duration", hi)) if v is not None}
    return _Hit("duration", m.start(), m.end(), values, _dur_label(lo, hi))


def _dur_between(m: re.Match[str], p: _Parser) -> _Hit | None:
    if m.group("a"):
        a, ua, b, ub = m.group("a"), m.group("ua"), m.group("b"), m.group("ub")
    else:
        a, ua, b, ub = m.group("c"), m.group("uc"), m.group("d"), m.group("ud")
    lo, hi = _seconds(a, ua or ub), _seconds(b, ub)
    return _dur_hit(m, min(lo, hi), max(lo, hi))


def _dur_cmp(m: re.Match[str], p: _Parser) -> _Hit | None:
    s = _seconds(m.group("n"), m.group("u"))
    return _dur_hit(m, s, None) if m.group("min") else _dur_hit(m, None, s)


def _dur_post(m: re.Match[str], p: _Parser) -> _Hit | None:
    if m.group("n2"):
        return _dur_hit(m, _seconds(m.group("n2"), m.group("u2")), None)
    s = _seconds(m.group("n"), m.group("u"))
    d = (m.group("dir") or "more").lower()
    return _dur_hit(m, s, None) if d in ("more", "longer", "over", "above") else _dur_hit(m, None, s)


def _dur_adj(m: re.Match[str], p: _Parser) -> _Hit | None:
    return _dur_hit(m, None, SHORT_CLIP_MAX_S) if m.group("short") else _dur_hit(m, LONG_CLIP_MIN_S, None)


# ---- frame rate ------------------------------------------------------------------------------------------------

_FPS_U = r"(?:fps|frames?\s+(?:per|a)\s+second|frames?/s(?:ec)?|f/s)(?![\w])"
_FPS_CMP_RX = _rx(rf"""(?<![\w])(?:(?P<maxx>under|below|less\s+than|lower\s+than|slower\s+than|<(?!=))
                         | (?P<maxi>at\s+most|up\s+to|no\s+more\s+than|maximum(?:\s+of)?|max|<=|≤)
                         | (?P<mini>at\s+least|no\s+less\s+than|minimum(?:\s+of)?|min|>=|≥)
                         | (?P<minx>over|above|more\s+than|greater\s+than|higher\s+than|faster\s+than|>(?!=)))
                       \s*(?P<n>{_NUM_D})\s*{_FPS_U}""")
_FPS_POST_RX = _rx(rf"""(?<![\w.])(?P<n>{_NUM_D})\s*(?:
                          {_FPS_U}\s+or\s+(?P<dir>more|higher|above|over|faster|better|less|lower|below|under|slower)
                          (?![\w])
                        | \+\s*{_FPS_U} | {_FPS_U}\s*\+)""")
_FPS_COMBO_RX = _rx(r"(?<![\w.])(?P<res>\d{3,4}p|[48]k)(?P<fps>24|25|30|48|50|60|120)(?![\w])")
_FPS_EXACT_RX = _rx(rf"""(?<![\w.])(?P<n>{_NUM_D})\s*{_FPS_U}
                       | {_B}(?:frame[\s-]?rate)\s*(?:of\s+|:\s*|=\s*)?(?P<n2>{_NUM_D})(?:\s*{_FPS_U})?""")
_FPS_P_RX = _rx(r"(?<![\w.])(?P<n>23\.976|23\.98|24|25|29\.97|30|48|50|59\.94|60)p(?![\w])")
_SLOWMO_RX = _rx(rf"{_B}(?:slow[\s-]?(?:motion|mo)|slo[\s-]?mo|high[\s-]+(?:frame[\s-]?rate|fps)|hfr){_E}")


def _fps_hit(start: int, end: int, lo: float | None, hi: float | None) -> _Hit:
    if lo is not None and hi is not None:
        label = f"frame rate: {_fmt(lo)}–{_fmt(hi)} fps"
    elif lo is not None:
        label = f"frame rate: at least {_fmt(lo)} fps"
    else:
        label = f"frame rate: at most {_fmt(hi)} fps"  # type: ignore[arg-type]
    values = {k: v for k, v in (("min_fps", lo), ("max_fps", hi)) if v is not None}
    return _Hit("fps", start, end, values, label)


def _around(n: float) -> tuple[float, float]:
    return round(n - FPS_TOLERANCE, 3), round(n + FPS_TOLERANCE, 3)


def _fps_cmp(m: re.Match[str], p: _Parser) -> _Hit:
    n = float(m.group("n"))
    if m.group("maxx"):
        return _fps_hit(m.start(), m.end(), None, round(n - FPS_TOLERANCE, 3))
    if m.group("maxi"):
        return _fps_hit(m.start(), m.end(), None, round(n + FPS_TOLERANCE, 3))
    if m.group("mini"):
        return _fps_hit(m.start(), m.end(), round(n - FPS_TOLERANCE, 3), None)
    return _fps_hit(m.start(), m.end(), round(n + FPS_TOLERANCE, 3), None)


def _fps_post(m: re.Match[str], p: _Parser) -> _Hit:
    n = float(m.group("n"))
    d = (m.group("dir") or "more").lower()
    if d in ("less", "lower", "below", "under", "slower"):
        return _fps_hit(m.start(), m.end(), None, round(n + FPS_TOLERANCE, 3))
    return _fps_hit(m.start(), m.end(), round(n - FPS_TOLERANCE, 3), None)


def _fps_combo(m: re.Match[str], p: _Parser) -> list[_Hit]:
    res = m.group("res").lower()
    return [_Hit("resolution", m.start("res"), m.end("res"), {"resolution": res}, f"resolution: {res}"),
            _fps_hit(m.start("fps"), m.end("fps"), *_around(float(m.group("fps"))))]


def _fps_exact(m: re.Match[str], p: _Parser) -> _Hit:
    n = float(m.group("n") or m.group("n2"))
    return _fps_hit(m.start(), m.end(), *_around(n))


def _fps_p(m: re.Match[str], p: _Parser) -> _Hit:
    return _fps_hit(m.start(), m.end(), *_around(float(m.group("n"))))


def _slowmo(m: re.Match[str], p: _Parser) -> _Hit:
    return _fps_hit(m.start(), m.end(), SLOW_MOTION_MIN_FPS, None)


# ---- resolution, orientation, vfr, codec -----------------------------------------------------------------------

_RES_RX = _rx(r"""(?<![\w.])(?:
      (?P<w>\d{3,5})\s?[x×]\s?(?P<h>\d{3,5})
    | (?P<fhd>full[\s-]?hd|fhd)
    | (?P<uhd>ultra[\s-]?hd|uhd)
    | (?P<nhd>720|1080|1440|2160|4320)\s?hd
    | (?P<np>\d{3,4})p
    | (?P<nk>[48])k
    | (?P<hd>hd)
)(?![\w])""")


def _resolution(m: re.Match[str], p: _Parser) -> _Hit:
    if m.group("w"):
        value = f"{int(m.group('w'))}x{int(m.group('h'))}"
    elif m.group("fhd"):
        value = "1080p"
    elif m.group("uhd"):
        value = "4k"
    elif m.group("nhd"):
        value = f"{m.group('nhd')}p"
    elif m.group("np"):
        value = f"{int(m.group('np'))}p"
    elif m.group("nk"):
        value = f"{m.group('nk')}k"
    else:
        value = "720p"
    return _Hit("resolution", m.start(), m.end(), {"resolution": value}, f"resolution: {value}")


_ORIENT_RX = _rx(r"""(?<![\w:])(?:
      (?:(?:shot|filmed|recorded)\s+)?(?:in\s+)?(?:portrait|landscape)\s+(?:mode|orientation|format)
    | (?:shot|filmed|recorded)\s+(?:in\s+)?(?:vertical|horizontal)(?:ly)?
    | in\s+(?:vertical|horizontal)(?:\s+(?:mode|orientation|format))?
    | (?:vertical|horizontal)\s+(?:mode|orientation|format|aspect(?:\s+ratio)?)
    | (?P<bare>vertical|horizontal)
    | 9\s*:\s*16
    | 16\s*:\s*9
)(?![\w:])""")


def _orientation(m: re.Match[str], p: _Parser) -> _Hit | None:
    if m.group("bare") and p.next_word(m.end()) not in _MEDIA_WORDS:
        return None  # "vertical cliff"
    vertical = bool(re.search(r"vertical|portrait|^9", m.group(0), re.IGNORECASE))
    return _Hit("vertical", m.start(), m.end(), {"vertical": vertical},
                "orientation: vertical" if vertical else "orientation: horizontal")


_VFR_RX = _rx(rf"{_B}(?:(?P<v>variable[\s-]+frame[\s-]?rate|vfr)|(?P<c>constant[\s-]+frame[\s-]?rate|cfr)){_E}")


def _vfr(m: re.Match[str], p: _Parser) -> _Hit:
    v = bool(m.group("v"))
    return _Hit("vfr", m.start(), m.end(), {"vfr": v}, f"variable frame rate: {'yes' if v else 'no'}")


# HDR and log (camera cards): "HDR", "HDR10", "HLG", "Dolby Vision", "SDR"; "shot in log", "log footage",
# "log profile"; named curves "S-Log3", "slog2", "V-Log", "C-Log3", "Canon Log", "N-Log", "F-Log", "LogC". A bare
# "log" ("log cabin") and "vlog" (a video blog) are not filters.
_HDR_LOG_RX = _rx(rf"""{_B}(?:
      (?P<hdr>hdr(?:10\+?)?|dolby[\s-]+vision|hybrid[\s-]+log[\s-]+gamma|hlg) | (?P<sdr>sdr)
    | (?P<curve>s-?log[\s-]?[23]?|v-log|c-log[\s-]?[23]?|canon[\s-]+log(?:[\s-]?[23])?|n-log|f-log[\s-]?2?
       |log[\s-]?c[34]?|d-log)
    | (?:(?:shot|filmed|recorded)\s+)?in\s+(?P<inlog>log)(?=\s*(?:$|[,.;]|\s(?:and|with|on|at|from|{_MEDIA})))
    | (?P<logn>log)(?=\s+(?:{_MEDIA}|profile|gamma|curve|mode))(?:\s+(?:profile|gamma|curve|mode))?
){_E}""")


def _hdr_log(m: re.Match[str], p: _Parser) -> _Hit:
    if m.group("hdr"):
        return _Hit("hdr", m.start(), m.end(), {"hdr": True}, "HDR: yes (PQ, HLG or Dolby Vision)")
    if m.group("sdr"):
        return _Hit("hdr", m.start(), m.end(), {"hdr": False}, "HDR: no (SDR)")
    if m.group("curve"):
        from ..pipeline.cards.sidecars import log_profile

        name = log_profile(m.group("curve")) or m.group("curve")
        loose = re.sub(r"[^a-z0-9]", "", name.lower())
        return _Hit("gamma", m.start(), m.end(), {"gamma": loose}, f"log profile: {name}")
    return _Hit("log", m.start(), m.end(), {"log": True}, "shot in log: yes")


_CODEC_RX = _rx(r"""(?<![\w.])(?:codec\s*[:=]?\s*)?(?P<c>
      h\.?264 | x264 | avc | h\.?265 | x265 | hevc
    | prores(?:\s+raw|\s+(?:422|4444)(?:\s+(?:hq|lt|proxy|xq))?|\s+(?:hq|lt|proxy|xq))?
    | dnx(?:hd|hr)? | mpeg-?2 | mpeg-?4 | vp8 | vp9 | av1 | mjpeg | motion[\s-]jpeg
)(?:\s+codec)?(?![\w])""")


def _codec(m: re.Match[str], p: _Parser) -> _Hit:
    c = re.sub(r"[\s.-]", "", m.group("c").lower())
    if c in ("h264", "x264", "avc"):
        value = "h264"
    elif c in ("h265", "x265", "hevc"):
        value = "hevc"
    elif c == "proresraw":
        value = "prores_raw"
    elif c.startswith("prores"):
        value = "prores"
    elif c.startswith("dnx"):
        value = "dnxhd"
    elif c == "mpeg2":
        value = "mpeg2video"
    elif c == "motionjpeg":
        value = "mjpeg"
    else:
        value = c
    return _Hit("codec", m.start(), m.end(), {"codec": value}, f"codec: {value}")


# ---- camera ----------------------------------------------------------------------------------------------------

_BRANDS: list[tuple[str, str]] = [  # (pattern, the make substring the store matches)
    (r"iphone", "iphone"), (r"ipad", "ipad"), (r"go\s?pro", "gopro"), (r"dji", "dji"), (r"sony", "sony"),
    (r"canon", "canon"), (r"nikon", "nikon"), (r"panasonic|lumix", "panasonic"), (r"fujifilm|fuji", "fujifilm"),
    (r"blackmagic(?:\s+design)?|bmpcc\w*", "blackmagic"), (r"arri", "arri"), (r"red", "red"),
    (r"samsung|galaxy", "samsung"), (r"google\s+pixel|pixel", "pixel"), (r"google", "google"),
    (r"insta\s?360", "insta360"), (r"olympus", "olympus"), (r"leica", "leica"), (r"hasselblad", "hasselblad"),
    (r"sigma", "sigma"), (r"huawei", "huawei"), (r"xiaomi", "xiaomi"), (r"one\s?plus", "oneplus"),
]
_MODEL_BRANDS: list[tuple[str, str]] = [  # model names that say the brand
    (r"a7\w*|a9\w*|a6\d{3}\w*|fx\d+\w*|zv-?e?\d+\w*|ilce-?\w+", "sony"), (r"gh\d\w*", "panasonic"),
    (r"eos|c\d{2,3}|r5c?|r6", "canon"), (r"hero\s?\d+", "gopro"), (r"mavic|phantom|osmo|avata|inspire", "dji"),
    (r"x-?[th]\d+|x100\w*|gfx\w*", "fujifilm"), (r"ursa|pocket\s+cinema(?:\s+camera)?", "blackmagic"),
    (r"alexa|amira", "arri"), (r"komodo|v-?raptor|monstro", "red"),
]
_AMBIGUOUS_BRANDS = {"red", "samsung", "pixel", "google", "sigma", "canon", "olympus"}  # galaxy, canon: words too
_BRAND_ALT = "|".join(p for p, _ in _BRANDS)
_MODEL_ALT = "|".join(p for p, _ in _MODEL_BRANDS)
_MODEL_TOK = (r"(?:\s+(?!\d+(?:\.\d+)?\s*(?:fps|p\b|k\b|frames)|(?:19|20)\d{2}\b)"
              r"(?:[a-z]*\d[\w.+-]*|pro|max|mini|plus|ultra|black|silver|air|mark|ii|iii|iv|mk\s?(?:ii|iii|iv|\d)"
              r"|se|xs|xr|hero|action|pocket|cinema|camera)(?![\w])){0,4}")
_CAM = rf"(?:(?P<brand>{_BRAND_ALT})|(?P<mb>{_MODEL_ALT}))(?![\w])(?P<model>{_MODEL_TOK})"
_CAMERA_RX = [
    _rx(rf"{_B}(?:shot|filmed|recorded|taken|captured|made)\s+(?:on|with|using|by|from)\s+"
        rf"(?:(?:my|a|an|the|our|his|her|their)\s+)?{_CAM}"),
    _rx(rf"{_B}(?:(?:on|from)\s+(?:my|our)|(?:with|using)\s+(?P<art>my|our|a|an|the))\s+{_CAM}"),
    _rx(rf"{_B}(?P<brand>{_BRAND_ALT})(?P<model>{_MODEL_TOK})(?:\s+(?:drone|camera|cam|phone))?"
        rf"(?=\s+(?:footage|clips?|videos?|recordings?|vids)\b)"),
    _rx(rf"{_B}camera\s*[:=]\s*(?P<raw>{_QUOTED}|[^\s,]+)"),
]


def _make_of(text: str, table: list[tuple[str, str]]) -> str | None:
    t = text.strip()
    for pattern, make in table:
        if re.fullmatch(pattern, t, re.IGNORECASE):
            return make
    return None


def _camera(m: re.Match[str], p: _Parser) -> _Hit | None:
    groups = m.groupdict()
    model = " ".join((groups.get("model") or "").lower().split()) or None
    if groups.get("raw"):
        raw = _unquote(groups["raw"]).lower()
        make = _make_of(raw, _BRANDS) or _make_of(raw, _MODEL_BRANDS) or raw
        if make != raw:
            model = None
    elif groups.get("brand"):
        make = _make_of(groups["brand"], _BRANDS)
        if make == "red" and groups["brand"] != "RED" and not model:
            return None  # "shot on red carpet": RED the camera is written in capitals or with a model
        if (groups.get("art") or "").lower() in ("a", "an", "the") and make in _AMBIGUOUS_BRANDS and not model:
            return None  # "with a galaxy print", "with the canon of ..."
    else:
        make = _make_of(groups["mb"], _MODEL_BRANDS)
        model = " ".join(f"{groups['mb']} {model or ''}".lower().split())
    if not make:
        return None
    label = f"camera: {make}" + (f" (model '{model}' not filtered on)" if model else "")
    values: dict[str, Any] = {"camera": make}
    if model:
        values["camera_model"] = model
    return _Hit("camera", m.start(), m.end(), values, label)


# ---- shot type -------------------------------------------------------------------------------------------------

_SHOT_RX = _rx(rf"""{_B}(?:
      (?P<ecu>extreme(?:ly)?[\s-]+close[\s-]?ups?(?:\s+shots?)?|ecu)
    | (?P<cu>close-ups?(?:\s+shots?)?|closeups?(?:\s+shots?)?|close\s+ups?(?:\s+shots?|(?=\s+of\b)|(?=\s*[.!?]?\s*$))
             |tight\s+shots?)
    | (?P<med>(?:medium|mid)(?:[\s-]+close[\s-]?up)?[\s-]+shots?)
    | (?P<wide>(?:extreme(?:ly)?\s+|very\s+)?(?:wide(?:[\s-]+angle)?|establishing)[\s-]+shots?)
){_E}""")


def _shot(m: re.Match[str], p: _Parser) -> _Hit:
    kind = next(k for k in ("ecu", "cu", "med", "wide") if m.group(k))
    value = {"ecu": "extreme_close_up", "cu": "close_up", "med": "medium", "wide": "wide"}[kind]
    return _Hit("shot_type", m.start(), m.end(), {"shot_type": value}, f"shot type: {value}")


# ---- quality ---------------------------------------------------------------------------------------------------

_QUALITY_RX: list[tuple[re.Pattern[str], str, dict[str, Any], str]] = [
    (_rx(rf"{_B}(?:not|non|without|no|isn't|aren't)[\s-]+(?:blurry|blurred|blur|out[\s-]+of[\s-]+focus){_E}"),
     "blur", {"blurry": False}, "blurry: no"),
    (_rx(rf"{_B}(?:in[\s-]focus(?!\s+groups?\b)|well[\s-]focused){_E}"),
     "blur", {"blurry": False}, "blurry: no"),
    (_rx(rf"{_B}(?:blurry|blurred|out[\s-]+of[\s-]+focus|unfocused|soft[\s-]+focus){_E}(?!\s+(?:backgrounds?|bg)\b)"),
     "blur", {"blurry": True}, "blurry: yes"),
    (_rx(rf"{_B}(?:well[\s-](?:exposed|lit)|(?:properly|correctly)\s+exposed|good\s+(?:lighting|exposure)|"
         rf"(?:proper|correct|normal)\s+exposure){_E}"),
     "exposure", {"exposure_warning": False}, "exposure warning: no"),
    (_rx(rf"{_B}(?:(?:badly|poorly)\s+(?:exposed|lit)|(?:bad|poor)\s+(?:exposure|lighting)|"
         rf"exposure\s+(?:problems?|issues?|warnings?)){_E}"),
     "exposure", {"exposure_warning": True}, "exposure warning: yes"),
    (_rx(rf"{_B}(?:over[\s-]?exposed|overexposure|blown[\s-]out(?:\s+highlights)?|too\s+bright){_E}"),
     "flag", {"flags": "overexposed"}, "quality flag: overexposed"),
    (_rx(rf"{_B}(?:under[\s-]?exposed|underexposure|too\s+dark){_E}"),
     "flag", {"flags": "underexposed"}, "quality flag: underexposed"),
    (_rx(rf"{_B}(?:sensor|image|digital|video)\s+noise{_E}"), "flag", {"flags": "noisy"}, "quality flag: noisy"),
    (_rx(rf"{_B}(?:heavy\s+compression|heavily\s+compressed|over[\s-]?compressed|compression\s+art[ie]facts?|"
         rf"blocky|macroblocking|blockiness){_E}"),
     "flag", {"flags": "heavy_compression"}, "quality flag: heavy_compression"),
]


# adjectives that are a quality only when they describe the clip: before a media noun or at the end of the query
# (other filter phrases and "and" in between are skipped): "sharp footage", "birds, sharp", but not "sharp knife"
_ADJECTIVE_RX: list[tuple[re.Pattern[str], str, dict[str, Any], str]] = [
    (_rx(rf"{_B}(?:(?:very|really|super|nice\s+and|nicely)\s+)?(?:sharp|crisp){_E}"),
     "blur", {"blurry": False}, "blurry: no"),
    (_rx(rf"{_B}(?:(?:very|really)\s+)?(?:noisy|grainy){_E}"), "flag", {"flags": "noisy"}, "quality flag: noisy"),
]


def _quality_rule(filter: str, values: dict[str, Any], label: str, adjective: bool = False) -> Rule:
    def rule(m: re.Match[str], p: _Parser) -> _Hit | None:
        if adjective and p.next_word(m.end()) not in _MEDIA_WORDS:
            return None
        return _Hit(filter, m.start(), m.end(), dict(values), label, append=filter == "flag")
    return rule


# ---- the rule list, in priority order --------------------------------------------------------------------------

_RULES: list[tuple[re.Pattern[str], Rule]] = [
    *((rx, _collection) for rx in _COLLECTION_RX),
    (_PERSON_KEY_RX, _person),
    *((rx, _tag) for rx in _TAG_RX),
    *((rx, _rating) for rx in _RATING_RX), (_LABEL_RX, _label), (_PICK_RX, _pick),
    (_DATE_RANGE_RX, _date_range), (_DATE_OPEN_RX, _date_open), (_DATE_IN_RX, _date_in),
    (_DUR_BETWEEN_RX, _dur_between), (_DUR_CMP_RX, _dur_cmp), (_DUR_POST_RX, _dur_post), (_DUR_ADJ_RX, _dur_adj),
    (_VFR_RX, _vfr), (_HDR_LOG_RX, _hdr_log),
    (_FPS_COMBO_RX, _fps_combo), (_FPS_CMP_RX, _fps_cmp), (_FPS_POST_RX, _fps_post), (_FPS_EXACT_RX, _fps_exact),
    (_FPS_P_RX, _fps_p), (_SLOWMO_RX, _slowmo),
    (_RES_RX, _resolution),
    (_CODEC_RX, _codec),
    *((rx, _camera) for rx in _CAMERA_RX),
    (_ORIENT_RX, _orientation),
    (_DATE_BARE_RX, _date_bare),
    (_SHOT_RX, _shot),
    *((rx, _quality_rule(f, v, lbl)) for rx, f, v, lbl in _QUALITY_RX),
    *((rx, _quality_rule(f, v, lbl, adjective=True)) for rx, f, v, lbl in _ADJECTIVE_RX),
]

# ---- semantic text ---------------------------------------------------------------------------------------------

_CONNECTORS = {"in", "at", "on", "from", "during", "and", "with", "using", "as"}
_VERBS = {"shot", "filmed", "recorded", "captured", "taken", "encoded"}
_EDGE_WORDS = {"in", "at", "on", "from", "during", "and", "or", "to", "by", "for", "but", "as", "using", "via"}
_COMMANDS = [("show", "me"), ("show",), ("find", "me"), ("find",), ("search", "for"), ("search",),
             ("look", "for"), ("looking", "for"), ("i'm", "looking", "for"), ("get", "me"), ("give", "me"),
             ("i", "want"), ("i", "need"), ("list",), ("please",)]
_FILLER = {"footage", "clip", "clips", "video", "videos", "vids", "with", "that", "which", "of", "are", "is", "were",
           "was", "a", "an", "the", "some", "any", "all", "me", "my", "our", "please"}
_WORD_RX = re.compile(r"[\w'’-]+")
_EDGE_PUNCT = ",.;:!?()[]{}\"'“”‘’"


class _Parser:
    def __init__(self, text: str, now: datetime, people: list[str] | None = None) -> None:
        self.people_rx = _person_rx(people or [])
        self.text = text
        self.today = now.date()
        self.claimed: list[tuple[int, int]] = []
        self.result = ParsedQuery(query=text)
        self.hits: list[tuple[_Hit, bool]] = []

    def free(self, start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in self.claimed)

    def next_word(self, pos: int) -> str | None:
        """The next word (lower case) from `pos` that no rule took, skipping "and" and punctuation; None at the end
        ("shot" for a shot-type phrase)."""
        text = self.text
        while pos < len(text):
            inside = next((h for h, _ in self.hits if h.start <= pos < h.end), None)
            if inside is not None:
                if inside.filter == "shot_type":
                    return "shot"  # "sharp close-ups": the shot type is the noun
                pos = inside.end
                continue
            m = _WORD_RX.match(text, pos)
            if m is None:
                pos += 1
                continue
            if m.group(0).lower() != "and":
                return m.group(0).lower()
            pos = m.end()
        return None

    def run(self) -> ParsedQuery:
        rules = list(_RULES)
        if self.people_rx is not None:  # a known name: after the explicit filters, before everything else
            rules.insert(1 + len(_COLLECTION_RX), (self.people_rx, _person))
        for rx, rule in rules:
            for m in rx.finditer(self.text):
                if m.end() <= m.start() or not self.free(m.start(), m.end()):
                    continue
                out = rule(m, self)
                if out is None:
                    continue
                for hit in out if isinstance(out, list) else [out]:
                    self.apply(hit)
        self.hits.sort(key=lambda h: h[0].start)
        r = self.result
        r.tags, r.flags = [], []  # rebuilt in text order
        for hit, applied in self.hits:
            quoted = self.text[hit.start:hit.end]
            r.spans.append(QuerySpan(filter=hit.filter, start=hit.start, end=hit.end, text=quoted, applied=applied))
            if applied:
                r.explanation.append(f"{hit.label} (from '{quoted}')")
                for field in ("tags", "flags"):
                    if field in hit.values and hit.values[field] not in getattr(r, field):
                        getattr(r, field).append(hit.values[field])
            else:
                r.explanation.append(f"ignored '{quoted}' ({hit.label}): {hit.filter} was already set")
        r.semantic = self.semantic()
        return r

    def apply(self, hit: _Hit) -> None:
        r = self.result
        ok = True
        for k, v in hit.values.items():
            current = getattr(r, k)
            if hit.append or isinstance(current, list):
                continue
            if current is not None and current != v:
                ok = False
        if ok:
            for k, v in hit.values.items():
                current = getattr(r, k)
                if isinstance(current, list):
                    if v not in current:
                        current.append(v)
                else:
                    setattr(r, k, v)
        self.claimed.append((hit.start, hit.end))
        self.hits.append((hit, ok))

    def semantic(self) -> str:
        text = self.text
        removed = [False] * len(text)
        for s, e in self.claimed:
            first = text[s:e].split()
            last = first[0].lower() if first else None
            while True:  # absorb connectors (and a verb before one) right before the span: "shot in 4K"
                m = re.search(r"(?:^|(?<=\s))([\w']+)\s+$", text[:s])
                if not m or any(removed[m.start(1):m.end(1)]):
                    break
                word = m.group(1).lower()
                if word in _CONNECTORS or (word in _VERBS and last in _CONNECTORS):
                    s, last = m.start(1), word
                else:
                    break
            for i in range(s, e):
                removed[i] = True
        kept = "".join(" " if removed[i] else ch for i, ch in enumerate(text))
        words = [w.strip(_EDGE_PUNCT) for w in kept.split() if not re.fullmatch(r"['’]s\W*", w)]
        words = [w for w in words if w and any(ch.isalnum() for ch in w)]
        lowered = [w.lower() for w in words]
        changed = True
        while changed:
            changed = False
            for phrase in _COMMANDS:
                if tuple(lowered[:len(phrase)]) == phrase:
                    words, lowered = words[len(phrase):], lowered[len(phrase):]
                    changed = True
                    break
        words = [w for w, lw in zip(words, lowered) if lw not in _FILLER]
        while words and words[0].lower() in _EDGE_WORDS:
            words = words[1:]
        while words and words[-1].lower() in _EDGE_WORDS:
            words = words[:-1]
        return " ".join(words)


def parse_query(text: str, *, now: datetime | None = None, people: list[str] | None = None) -> ParsedQuery:
    """Read filters out of a search query (see the module docstring for every rule); `now` anchors relative dates
    (default: the local time now); `people`: the names given to people in the catalog, so "clips with Maria"
    filters on Maria (a name the catalog does not know stays in the meaning search)."""
    return _Parser(text or "", now or datetime.now(), people).run()
